using Microsoft.ML;
using MLNet.Transformers.Models;
using MLNet.Transformers.Training;

namespace MLNet.Transformers.Estimators;

/// <summary>
/// Options of <c>mlContext.Regression.Trainers.SentenceSimilarity</c>: fine-tunes a BERT-family checkpoint with a
/// one-output regression head (HF <c>problem_type: "regression"</c>, MSE loss) on a sentence pair and a float label.
/// </summary>
public sealed class SentenceSimilarityOptions
{
    /// <summary>The model to start from: a Hugging Face checkpoint folder (config.json, model.safetensors, vocab.txt). Also a Hugging Face Hub id, "org/name" or "org/name@revision" (downloaded into the Hub cache, resolved when the estimator is created), or an encoder .onnx file.</summary>
    public string CheckpointDirectory { get; set; } = "";

    /// <summary>Label column: <see cref="float"/> similarity. Optional when <see cref="MaxEpochs"/> is 0.</summary>
    public string LabelColumnName { get; set; } = "Label";

    /// <summary>Output column: <see cref="float"/>, the head's raw output.</summary>
    public string ScoreColumnName { get; set; } = "Score";

    /// <summary>First text column.</summary>
    public string Sentence1ColumnName { get; set; } = "Sentence1";

    /// <summary>Second text column (null scores single sentences).</summary>
    public string? Sentence2ColumnName { get; set; } = "Sentence2";

    /// <summary>Rows per training step and per scoring forward pass. Default 32.</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>Passes over the training data; 0 trains nothing and scores with the checkpoint's regression head as it is. Default 10.</summary>
    public int MaxEpochs { get; set; } = 10;

    /// <summary>Validation data (same columns) evaluated during training: MSE; drives early stopping and best-weight restore.</summary>
    public IDataView? ValidationSet { get; set; }

    /// <summary>Tokens per pair including special tokens; longer pairs are truncated longest-first. Capped at max_position_embeddings. Default 512.</summary>
    public int MaxSequenceLength { get; set; } = 512;

    /// <summary>Which head: HF's pooler head (default) or the plain linear head on [CLS].</summary>
    public ClassificationHead Head { get; set; } = ClassificationHead.Pooler;

    /// <summary>Train the head only.</summary>
    public bool FreezeEncoder { get; set; }

    /// <summary>Dropout before the head; null = the checkpoint's classifier_dropout, else hidden_dropout_prob.</summary>
    public double? ClassifierDropout { get; set; }

    /// <summary>Arithmetic of the returned transformer when scoring: <see cref="Precision.Auto"/> (default: bf16 matmuls where the CPU has AVX512-BF16/AMX, fp32 elsewhere, decided on the host that scores), Float32, BFloat16 with fp32 LayerNorm/residuals/softmax, or Int8 (the int8 ONNX graph run by ONNX Runtime inside the transformer; CPU only) (training precision is <c>Training.UseBf16</c>). Saved with the model as set.</summary>
    public Precision Precision { get; set; } = Precision.Auto;

    /// <summary>TorchSharp device, e.g. "cpu" or "cuda:0".</summary>
    public string Device { get; set; } = "cpu";

    /// <summary>The shared training loop's other settings.</summary>
    public TrainerOptions Training { get; set; } = new();
}
