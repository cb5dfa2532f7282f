using System.Text.Json.Serialization;

namespace MLNet.Transformers;

/// <summary>
/// Options of <c>mlContext.Transforms.Text.GenerateText</c> and of the shared generation loop. Names and defaults are
/// Hugging Face's <c>GenerationConfig</c>: greedy decoding unless <see cref="DoSample"/>; with sampling the logits go through
/// repetition penalty → temperature → top-k → top-p, in HF's order.
/// </summary>
public sealed class TextGenerationOptions : IJsonOnDeserializing
{
    /// <summary>
    /// Most tokens to generate after the prompt (HF <c>max_new_tokens</c>). Default 20 (HF's default length). Generation also
    /// stops at <see cref="MaxNewTokensLimit"/> and where the model runs out of positions (GPT-2: <c>n_positions</c> in all).
    /// </summary>
    public int MaxNewTokens { get; set; } = 20;

    /// <summary>
    /// Most tokens one call generates whatever <see cref="MaxNewTokens"/> says (4,096): a T5 has no position limit of its own, so
    /// <c>int.MaxValue</c> would otherwise run until the process is killed. Cancel longer runs with the CancellationToken of the
    /// transformers' <c>Generate</c>.
    /// </summary>
    public const int MaxNewTokensLimit = 4096;

    /// <summary>Sample from the distribution instead of taking the most likely token. Default false (greedy).</summary>
    public bool DoSample { get; set; }

    /// <summary>Divides the logits before sampling (&lt; 1 sharper, &gt; 1 flatter). Default 1.</summary>
    public double Temperature { get; set; } = 1.0;

    /// <summary>Sampling keeps only the k most likely tokens; 0 = no limit. Default 50 (HF's default).</summary>
    public int TopK { get; set; } = 50;

    /// <summary>Sampling keeps the smallest set of most likely tokens whose probability reaches p (nucleus). Default 1 (off).</summary>
    public double TopP { get; set; } = 1.0;

    /// <summary>CTRL's penalty for tokens already in the prompt or output: positive logits are divided by it, negative multiplied. Default 1 (off).</summary>
    public double RepetitionPenalty { get; set; } = 1.0;

    /// <summary>Beam search with this many beams (1 = no beam search). Beam search is deterministic (no sampling).</summary>
    public int NumBeams { get; set; } = 1;

    /// <summary>Beam search: a finished beam's score is Σ log p / length^LengthPenalty (HF <c>length_penalty</c>). Default 1.</summary>
    public double LengthPenalty { get; set; } = 1.0;

    /// <summary>Generation of a row stops once its output contains one of these strings (kept in the output, as HF's <c>stop_strings</c>).</summary>
    public string[]? StopStrings { get; set; }

    /// <summary>Token that ends generation (kept out of the text). Null = the model's <c>eos_token_id</c>; -1 = never stop early.</summary>
    public int? EosTokenId { get; set; }

    /// <summary>Seed of sampling; null = the MLContext's seed. Each prompt's draws come from this seed and the prompt's text, so a
    /// prompt gives the same output in any batch and in any process.</summary>
    public int? Seed { get; set; }

    /// <summary>Keep keys/values of past positions so each new token costs one position's compute (HF <c>use_cache</c>). Default true.</summary>
    public bool UseCache { get; set; } = true;

    /// <summary>When set, also output an int vector column (this name) with the new token ids (eos included when generated).</summary>
    public string? GeneratedTokenIdsColumnName { get; set; }

    /// <summary>Prompts generated together (left-padded). Default 8.</summary>
    public int BatchSize { get; set; } = 8;

    /// <summary>Arithmetic of decoding: <see cref="Precision.Auto"/> (default: bf16 where the CPU has AVX512-BF16/AMX, fp32 elsewhere, decided on the host that generates), Float32, or BFloat16 matmuls with fp32 LayerNorm/residuals/attention/LM head. Saved with the model as set (models saved before it existed load as Float32).</summary>
    public Precision Precision { get; set; } = Precision.Auto;

    /// <summary>When generating for an IDataView, group prompts of similar token count into batches (less left padding); rows come back in their original order. Default true.</summary>
    public bool LengthBucketing { get; set; } = true;

    /// <summary>TorchSharp device, e.g. "cpu" or "cuda".</summary>
    public string Device { get; set; } = "cpu";

    // Read from a saved model: settings without a Precision field predate it and decoded in fp32, so start from Float32
    // (not the default Auto) before the saved fields are read.
    void IJsonOnDeserializing.OnDeserializing() => Precision = Precision.Float32;

    /// <summary>Throws an <see cref="ArgumentOutOfRangeException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        if (MaxNewTokens < 0) throw new ArgumentOutOfRangeException(nameof(MaxNewTokens), MaxNewTokens, "MaxNewTokens must not be negative.");
        if (!(Temperature > 0)) throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "Temperature must be positive.");
        if (TopK < 0) throw new ArgumentOutOfRangeException(nameof(TopK), TopK, "TopK must not be negative (0 = off).");
        if (TopP is <= 0 or > 1) throw new ArgumentOutOfRangeException(nameof(TopP), TopP, "TopP must be in (0, 1].");
        if (!(RepetitionPenalty > 0)) throw new ArgumentOutOfRangeException(nameof(RepetitionPenalty), RepetitionPenalty, "RepetitionPenalty must be positive (1 = off).");
        if (NumBeams < 1) throw new ArgumentOutOfRangeException(nameof(NumBeams), NumBeams, "NumBeams must be at least 1.");
        if (NumBeams > 1 && DoSample) throw new ArgumentOutOfRangeException(nameof(NumBeams), NumBeams, "Beam search with sampling is not supported: set DoSample = false or NumBeams = 1.");
        if (!Enum.IsDefined(Precision)) throw new ArgumentOutOfRangeException(nameof(Precision), Precision, $"Precision must be one of {string.Join(", ", Enum.GetNames<Precision>())}.");
        if (Precision == Precision.Int8) throw new ArgumentOutOfRangeException(nameof(Precision), Precision, Inference.ScoringPrecision.Int8NotOffered);
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "BatchSize must be at least 1.");
        if (StopStrings is not null && StopStrings.Any(string.IsNullOrEmpty)) throw new ArgumentException("StopStrings must not contain empty strings.", nameof(StopStrings));
    }
}
