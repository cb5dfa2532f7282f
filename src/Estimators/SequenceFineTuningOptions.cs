using MLNet.Transformers.Models;

namespace MLNet.Transformers.Estimators;

/// <summary>
/// What both sequence-head trainers share — <see cref="TextClassificationOptions"/> (classification) and
/// <see cref="SentenceSimilarityOptions"/> (one-output regression): the text columns, the label and score columns, the
/// length limit and the head's settings. One <c>SequenceClassificationEstimator</c> runs both.
/// </summary>
public abstract class SequenceFineTuningOptions : EncoderFineTuningOptions
{
    private protected SequenceFineTuningOptions() { }

    /// <summary>Label column: a key for classification (after <c>MapValueToKey</c>), a <see cref="float"/> for similarity. Optional when <see cref="EncoderFineTuningOptions.MaxEpochs"/> is 0.</summary>
    public string LabelColumnName { get; set; } = "Label";

    /// <summary>Output column: classification's float vector of class probabilities (softmax of the logits, SlotNames = the class values), or similarity's <see cref="float"/> raw output.</summary>
    public string ScoreColumnName { get; set; } = "Score";

    /// <summary>(First) text column.</summary>
    public string Sentence1ColumnName { get; set; } = "Sentence1";

    /// <summary>Second text column for sentence pairs (encoded <c>[CLS] A [SEP] B [SEP]</c>, RoBERTa <c>&lt;s&gt; A &lt;/s&gt;&lt;/s&gt; B &lt;/s&gt;</c>), or null for single texts. Default null (SentenceSimilarity: "Sentence2").</summary>
    public string? Sentence2ColumnName { get; set; }

    /// <summary>Tokens per row including special tokens; longer inputs are truncated (longest-first for pairs). Capped at the model's max_position_embeddings. Default 512.</summary>
    public int MaxSequenceLength { get; set; } = 512;

    /// <summary>Which head: HF's pooler head (default, loads/saves HF checkpoints) or the plain linear head on [CLS] (BERT only).</summary>
    public ClassificationHead Head { get; set; } = ClassificationHead.Pooler;

    /// <summary>Train the head only (the encoder's weights stay as loaded).</summary>
    public bool FreezeEncoder { get; set; }

    /// <summary>Dropout before the head; null = the checkpoint's classifier_dropout, else its hidden_dropout_prob (as HF).</summary>
    public double? ClassifierDropout { get; set; }
}
