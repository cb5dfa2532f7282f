using Microsoft.ML;
using MLNet.Transformers.Models.Gpt2;
using MLNet.Transformers.Training;

namespace MLNet.Transformers.Estimators;

/// <summary>
/// Options of <c>mlContext.Transforms.Text.PretrainCausalLanguageModel</c>: GPT-style next-token pretraining on an
/// <see cref="IDataView"/> of text (one document per row), from a GPT-2 checkpoint or from scratch. The fitted transformer
/// scores text (log-likelihood and token count).
/// </summary>
public sealed class CausalLanguageModelOptions
{
    /// <summary>Input text column: one document per row; documents are joined with &lt;|endoftext|&gt; before packing.</summary>
    public string TextColumnName { get; set; } = "Text";

    /// <summary>HF GPT-2 checkpoint to start from (config.json + model.safetensors + vocab.json + merges.txt); null = from scratch with <see cref="ModelConfig"/>. Also a Hugging Face Hub id, "org/name" or "org/name@revision" (downloaded into the Hub cache, resolved when the estimator is created).</summary>
    public string? CheckpointDirectory { get; set; }

    /// <summary>Architecture when training from scratch (vocab size, bos/eos ids are replaced by the tokenizer's). Default <see cref="Gpt2Config.Small"/>.</summary>
    public Gpt2Config ModelConfig { get; set; } = Gpt2Config.Small();

    /// <summary>From scratch: a folder with vocab.json + merges.txt to use (e.g. GPT-2's); null trains a byte-level BPE of <see cref="VocabularySize"/> on the input text. Also a Hugging Face Hub id, "org/name" or "org/name@revision" (its tokenizer files downloaded into the Hub cache, resolved when the estimator is created).</summary>
    public string? TokenizerDirectory { get; set; }

    /// <summary>From scratch without <see cref="TokenizerDirectory"/>: size of the byte-level BPE vocabulary to train (256 bytes and &lt;|endoftext|&gt; included).</summary>
    public int VocabularySize { get; set; } = 8000;

    /// <summary>Tokens per training sequence (the lectures' block size; at most the model's n_positions). Default 128.</summary>
    public int BlockSize { get; set; } = 128;

    /// <summary>Scoring texts longer than the context: a new window every this many tokens (HF's perplexity recipe); null = half the context.</summary>
    public int? ScoringStride { get; set; }

    /// <summary>Passes over the training data; 0 trains nothing (with a checkpoint: just load it). Default 1.</summary>
    public int MaxEpochs { get; set; } = 1;

    /// <summary>Sequences per batch (training, validation and scoring). Default 16.</summary>
    public int BatchSize { get; set; } = 16;

    /// <summary>Fraction of the documents held out for validation when <see cref="ValidationSet"/> is null (0 = none).</summary>
    public double ValidationFraction { get; set; } = 0.05;

    /// <summary>Validation text (same column as the training data); overrides <see cref="ValidationFraction"/>.</summary>
    public IDataView? ValidationSet { get; set; }

    /// <summary>Arithmetic of the returned transformer when scoring: <see cref="Precision.Auto"/> (default: bf16 matmuls where the CPU has AVX512-BF16/AMX, fp32 elsewhere, decided on the host that scores), Float32, or BFloat16 with fp32 LayerNorm/residuals/softmax (training precision is <c>Training.UseBf16</c>). Saved with the model as set.</summary>
    public Precision Precision { get; set; } = Precision.Auto;

    /// <summary>TorchSharp device, e.g. "cpu" or "cuda".</summary>
    public string Device { get; set; } = "cpu";

    /// <summary>The shared training loop's settings (learning rate default here 6e-4, nanoGPT's; warmup, clipping, bf16, MaxSteps, seed, progress, …).</summary>
    public TrainerOptions Training { get; set; } = new() { LearningRate = 6e-4 };

    /// <summary>Output column of the fitted transformer: Σ ln p(token | previous tokens) over the text's tokens (float).</summary>
    public string LogLikelihoodColumnName { get; set; } = "LogLikelihood";

    /// <summary>Output column of the fitted transformer: the number of scored tokens (int); perplexity = exp(−LogLikelihood / TokenCount).</summary>
    public string TokenCountColumnName { get; set; } = "TokenCount";
}
