using Microsoft.ML;
using MLNet.Transformers.Training;

namespace MLNet.Transformers.Estimators;

/// <summary>
/// What every encoder fine-tuning trainer (<c>TextClassification</c>, <c>SentenceSimilarity</c>,
/// <c>NamedEntityRecognition</c>, <c>QuestionAnswer</c>) is configured with, whatever its task: the checkpoint, batching and
/// epochs, validation data, scoring precision, device and the shared training loop's settings. Each task's options add
/// their columns and head settings; names and defaults are ML.NET's (QuestionAnswer's options change two defaults, as
/// ML.NET's QA trainer and HF's SQuAD examples do).
/// </summary>
public abstract class EncoderFineTuningOptions
{
    private protected EncoderFineTuningOptions() { }

    /// <summary>The model to start from: a Hugging Face checkpoint folder (config.json with model_type bert, roberta or distilbert, model.safetensors, and vocab.txt or RoBERTa's vocab.json + merges.txt). Also a Hugging Face Hub id, "org/name" or "org/name@revision" (downloaded into the Hub cache, resolved when the estimator is created), or an encoder .onnx file.</summary>
    public string CheckpointDirectory { get; set; } = "";

    /// <summary>Rows (QuestionAnswer: windows) per training step and per scoring forward pass. Default 32 (QuestionAnswer: 4).</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>Passes over the training data; 0 trains nothing and scores with the checkpoint and its stored head as they are. Default 10.</summary>
    public int MaxEpochs { get; set; } = 10;

    /// <summary>Validation data (same columns) evaluated during training: loss and the task's metric; drives early stopping and best-weight restore.</summary>
    public IDataView? ValidationSet { get; set; }

    /// <summary>Arithmetic of the returned transformer when scoring: <see cref="Precision.Auto"/> (default: bf16 matmuls where the CPU has AVX512-BF16/AMX, fp32 elsewhere — run by ONNX Runtime in the cross-encoder sequence classifiers, by libtorch in the other transformers — decided on the host that scores), Float32 (libtorch), BFloat16 with fp32 LayerNorm/residuals/softmax, or Int8 (sequence classifiers only: the int8 ONNX graph run by ONNX Runtime inside the transformer; CPU only) (training precision is <c>Training.UseBf16</c>). Saved with the model as set.</summary>
    public Precision Precision { get; set; } = Precision.Auto;

    /// <summary>TorchSharp device, e.g. "cpu" or "cuda:0".</summary>
    public string Device { get; set; } = "cpu";

    /// <summary>The shared training loop's other settings (learning rate 5e-5, QuestionAnswer 3e-5; warmup, weight decay, clipping, accumulation, MaxSteps, bf16, early stopping, resume, seed, progress, cancellation).</summary>
    public TrainerOptions Training { get; set; } = new();
}
