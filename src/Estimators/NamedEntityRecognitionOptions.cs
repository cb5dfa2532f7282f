using Microsoft.ML;
using MLNet.Transformers.Training;

namespace MLNet.Transformers.Estimators;

/// <summary>
/// Options of <c>mlContext.MulticlassClassification.Trainers.NamedEntityRecognition</c>: fine-tunes a BERT-family
/// checkpoint with a per-token head (HF <c>BertForTokenClassification</c>). The sentence is split on ' ' into words (empty
/// words from repeated spaces are dropped); each word is predicted from, and trained through, its first WordPiece.
/// </summary>
public sealed class NamedEntityRecognitionOptions
{
    /// <summary>The model to start from: a Hugging Face checkpoint folder (config.json, model.safetensors, vocab.txt). Also a Hugging Face Hub id, "org/name" or "org/name@revision" (downloaded into the Hub cache, resolved when the estimator is created), or an encoder .onnx file.</summary>
    public string CheckpointDirectory { get; set; } = "";

    /// <summary>Label column: a vector of keys, one per word (key 0 = missing: ignored by the loss). Optional when <see cref="MaxEpochs"/> is 0.</summary>
    public string LabelColumnName { get; set; } = "Label";

    /// <summary>Output column: variable-length vector of keys, one per word (same key type and KeyValues as the label).</summary>
    public string OutputColumnName { get; set; } = "PredictedLabel";

    /// <summary>Text column.</summary>
    public string Sentence1ColumnName { get; set; } = "Sentence";

    /// <summary>Rows per training step and per scoring forward pass. Default 32.</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>Passes over the training data; 0 trains nothing and tags with the checkpoint's head as it is. Default 10.</summary>
    public int MaxEpochs { get; set; } = 10;

    /// <summary>Validation data (same columns): loss and word accuracy; drives early stopping and best-weight restore.</summary>
    public IDataView? ValidationSet { get; set; }

    /// <summary>
    /// Tokens per window including [CLS]/[SEP] (capped at max_position_embeddings). A sentence with more pieces is cut
    /// into consecutive windows at word boundaries, each encoded on its own, so every word gets a prediction. Default 512.
    /// </summary>
    public int MaxSequenceLength { get; set; } = 512;

    /// <summary>Train the head only.</summary>
    public bool FreezeEncoder { get; set; }

    /// <summary>Dropout before the head; null = the checkpoint's classifier_dropout, else hidden_dropout_prob.</summary>
    public double? ClassifierDropout { get; set; }

    /// <summary>Arithmetic of the returned transformer when scoring: <see cref="Precision.Auto"/> (default: bf16 matmuls where the CPU has AVX512-BF16/AMX, fp32 elsewhere, decided on the host that scores), Float32, or BFloat16 with fp32 LayerNorm/residuals/softmax (training precision is <c>Training.UseBf16</c>). Saved with the model as set.</summary>
    public Precision Precision { get; set; } = Precision.Auto;

    /// <summary>TorchSharp device, e.g. "cpu" or "cuda:0".</summary>
    public string Device { get; set; } = "cpu";

    /// <summary>The shared training loop's other settings.</summary>
    public TrainerOptions Training { get; set; } = new();
}
