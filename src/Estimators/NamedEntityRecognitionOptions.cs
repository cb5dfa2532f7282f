namespace MLNet.Transformers.Estimators;

/// <summary>
/// Options of <c>mlContext.MulticlassClassification.Trainers.NamedEntityRecognition</c>: fine-tunes a BERT, RoBERTa or
/// DistilBERT checkpoint with a per-token head (HF <c>BertForTokenClassification</c>). The sentence is split on ' ' into words (empty
/// words from repeated spaces are dropped); each word is predicted from, and trained through, its first WordPiece.
/// </summary>
public sealed class NamedEntityRecognitionOptions : EncoderFineTuningOptions
{
    /// <summary>Label column: a vector of keys, one per word (key 0 = missing: ignored by the loss). Optional when <see cref="EncoderFineTuningOptions.MaxEpochs"/> is 0.</summary>
    public string LabelColumnName { get; set; } = "Label";

    /// <summary>Output column: variable-length vector of keys, one per word (same key type and KeyValues as the label).</summary>
    public string OutputColumnName { get; set; } = "PredictedLabel";

    /// <summary>Text column.</summary>
    public string Sentence1ColumnName { get; set; } = "Sentence";

    /// <summary>
    /// Tokens per window including [CLS]/[SEP] (capped at max_position_embeddings). A sentence with more pieces is cut
    /// into consecutive windows at word boundaries, each encoded on its own, so every word gets a prediction. Default 512.
    /// </summary>
    public int MaxSequenceLength { get; set; } = 512;

    /// <summary>Train the head only.</summary>
    public bool FreezeEncoder { get; set; }

    /// <summary>Dropout before the head; null = the checkpoint's classifier_dropout, else hidden_dropout_prob.</summary>
    public double? ClassifierDropout { get; set; }
}
