using Microsoft.ML;
using MLNet.Transformers.Models;
using MLNet.Transformers.Training;

namespace MLNet.Transformers.Estimators;

/// <summary>
/// Options of <c>mlContext.MulticlassClassification.Trainers.TextClassification</c>: fine-tunes a BERT-family checkpoint
/// with a classification head on a text (or text pair) column and a key label. Names and defaults follow ML.NET's own
/// TorchSharp <c>TextClassification</c> trainer.
/// </summary>
public sealed class TextClassificationOptions
{
    /// <summary>The model to start from: a Hugging Face checkpoint folder (config.json, model.safetensors, vocab.txt). Also a Hugging Face Hub id, "org/name" or "org/name@revision" (downloaded into the Hub cache, resolved when the estimator is created), or an encoder .onnx file.</summary>
    public string CheckpointDirectory { get; set; } = "";

    /// <summary>Label column: a key (after <c>MapValueToKey</c>). Optional when <see cref="MaxEpochs"/> is 0 (classes then come from the checkpoint's id2label).</summary>
    public string LabelColumnName { get; set; } = "Label";

    /// <summary>Output column: float vector of class probabilities (softmax of the logits), with SlotNames = the class values.</summary>
    public string ScoreColumnName { get; set; } = "Score";

    /// <summary>Output column: the predicted key (same key type and KeyValues as the label).</summary>
    public string OutputColumnName { get; set; } = "PredictedLabel";

    /// <summary>Text column.</summary>
    public string Sentence1ColumnName { get; set; } = "Sentence1";

    /// <summary>Second text column for sentence-pair tasks (encoded <c>[CLS] A [SEP] B [SEP]</c>), or null.</summary>
    public string? Sentence2ColumnName { get; set; }

    /// <summary>Rows per training step and per scoring forward pass. Default 32.</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>Passes over the training data; 0 trains nothing and scores with the checkpoint (and its head) as it is. Default 10.</summary>
    public int MaxEpochs { get; set; } = 10;

    /// <summary>Validation data (same columns) evaluated during training: loss and accuracy; drives early stopping and best-weight restore.</summary>
    public IDataView? ValidationSet { get; set; }

    /// <summary>Tokens per row including special tokens; longer inputs are truncated (longest-first for pairs). Capped at the model's max_position_embeddings. Default 512.</summary>
    public int MaxSequenceLength { get; set; } = 512;

    /// <summary>Which head: HF's pooler head (default, loads/saves HF checkpoints) or the plain linear head on [CLS].</summary>
    public ClassificationHead Head { get; set; } = ClassificationHead.Pooler;

    /// <summary>Train the head only (the encoder's weights stay as loaded).</summary>
    public bool FreezeEncoder { get; set; }

    /// <summary>Dropout before the head; null = the checkpoint's classifier_dropout, else its hidden_dropout_prob (as HF).</summary>
    public double? ClassifierDropout { get; set; }

    /// <summary>Arithmetic of the returned transformer when scoring: <see cref="Precision.Auto"/> (default: bf16 matmuls where the CPU has AVX512-BF16/AMX, fp32 elsewhere, decided on the host that scores), Float32, BFloat16 with fp32 LayerNorm/residuals/softmax, or Int8 (the int8 ONNX graph run by ONNX Runtime inside the transformer; CPU only) (training precision is <c>Training.UseBf16</c>). Saved with the model as set.</summary>
    public Precision Precision { get; set; } = Precision.Auto;

    /// <summary>TorchSharp device, e.g. "cpu" or "cuda:0".</summary>
    public string Device { get; set; } = "cpu";

    /// <summary>The shared training loop's other settings (learning rate 5e-5, warmup, weight decay, clipping, accumulation, MaxSteps, bf16, early stopping, resume, seed, progress, cancellation).</summary>
    public TrainerOptions Training { get; set; } = new();
}
