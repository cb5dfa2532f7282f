namespace MLNet.Transformers.Training;

/// <summary>
/// Settings of the shared training loop (<see cref="Trainer"/>), held by every estimator's options as <c>Training</c>.
/// The number of epochs and the batch size are the estimator's own (<c>MaxEpochs</c>, <c>BatchSize</c>): they belong to the
/// task, as in ML.NET's trainers. Defaults follow Hugging Face's <c>Trainer</c> (AdamW, linear warmup then linear decay,
/// clipping at 1.0) so fine-tuning recipes carry over unchanged.
/// </summary>
public sealed class TrainerOptions
{
    /// <summary>
    /// Caps the total optimizer steps: training stops after min(<see cref="MaxSteps"/>, the estimator's <c>MaxEpochs</c> ×
    /// steps per epoch). Null = no cap.
    /// </summary>
    public int? MaxSteps { get; set; }

    /// <summary>Peak learning rate reached at the end of warmup. Default 5e-5.</summary>
    public double LearningRate { get; set; } = 5e-5;

    /// <summary>Warmup length in optimizer steps; when null, <see cref="WarmupFraction"/> of the total steps (rounded up).</summary>
    public int? WarmupSteps { get; set; }

    /// <summary>Fraction of the total steps spent warming up when <see cref="WarmupSteps"/> is null. Default 0.1.</summary>
    public double WarmupFraction { get; set; } = 0.1;

    /// <summary>Decoupled (AdamW) weight decay; not applied to biases and LayerNorm weights (see <see cref="AdamW.IsDecayed"/>). Default 0.01.</summary>
    public double WeightDecay { get; set; } = 0.01;

    /// <summary>Adam β1. Default 0.9.</summary>
    public double AdamBeta1 { get; set; } = 0.9;

    /// <summary>Adam β2. Default 0.999.</summary>
    public double AdamBeta2 { get; set; } = 0.999;

    /// <summary>Adam ε (PyTorch/HF default 1e-8; Google's BERT used 1e-6).</summary>
    public double AdamEpsilon { get; set; } = 1e-8;

    /// <summary>Clip gradients to this global L2 norm; null or 0 = no clipping. Default 1.0.</summary>
    public double? MaxGradNorm { get; set; } = 1.0;

    /// <summary>Batches whose gradients are summed (each loss scaled by 1/k) before one optimizer step. Default 1.</summary>
    public int GradientAccumulationSteps { get; set; } = 1;

    /// <summary>Evaluate every this many optimizer steps; null = at the end of each epoch.</summary>
    public int? EvaluateEverySteps { get; set; }

    /// <summary>Stop after this many evaluations without a lower validation loss; null = never stop early.</summary>
    public int? EarlyStoppingPatience { get; set; }

    /// <summary>
    /// When validation ran, put the weights with the lowest validation loss back into the model at the end
    /// (kept as an in-memory copy). Default true.
    /// </summary>
    public bool RestoreBestWeights { get; set; } = true;

    /// <summary>
    /// Directory for resumable training state (weights, optimizer moments, position, RNG); null = none. This is not a
    /// model checkpoint: an estimator's <c>CheckpointDirectory</c> is always the model to start from.
    /// </summary>
    public string? TrainingStateDirectory { get; set; }

    /// <summary>Save training state every this many optimizer steps (needs <see cref="TrainingStateDirectory"/>); null = only at the end.</summary>
    public int? SaveEverySteps { get; set; }

    /// <summary>Resume from training state written to <see cref="TrainingStateDirectory"/> by an earlier run with the same data and options.</summary>
    public string? ResumeFrom { get; set; }

    /// <summary>
    /// Seed for torch (initialisation of new weights, dropout), masking and the data order; null = the <c>MLContext</c>'s
    /// seed (0 when it has none).
    /// </summary>
    public int? Seed { get; set; }

    /// <summary>
    /// bf16 mixed precision: forward/backward in bfloat16, fp32 master weights and optimizer state. The task must cast
    /// logits to float before its loss. The model ends in fp32. Default null = auto: bf16 where the CPU has AVX512-BF16 or
    /// AMX-BF16, fp32 elsewhere (or as the environment variable <c>MLNET_TRANSFORMERS_PRECISION</c> says; see
    /// <see cref="Inference.HostPrecision"/>), so losses differ slightly between host kinds — set true or false where
    /// figures must reproduce across hosts. True on a CPU without a fast bf16 GEMM logs a warning (it is many times slower).
    /// </summary>
    public bool? UseBf16 { get; set; }

    /// <summary>Write a log line every this many steps (besides evaluations). Default 50.</summary>
    public int LogEverySteps { get; set; } = 50;

    /// <summary>Receives a report after every optimizer step (loss, learning rate, tokens/s, validation metrics).</summary>
    public IProgress<TrainingProgress>? Progress { get; set; }

    /// <summary>Cancels training between optimizer steps (the model keeps the weights of the last completed step).</summary>
    public CancellationToken CancellationToken { get; set; }

    /// <summary>The seed a run uses: <see cref="Seed"/>, else the MLContext's seed, else 0.</summary>
    internal int ResolveSeed(Microsoft.ML.Runtime.IHostEnvironment env) => Seed ?? Persistence.MLNetInternals.GetSeed(env) ?? 0;

    /// <summary>A copy of these options (estimators adjust a copy, never the caller's object).</summary>
    public TrainerOptions Clone() => (TrainerOptions)MemberwiseClone();

    internal void Validate()
    {
        if (MaxSteps is < 0) throw new ArgumentException($"{nameof(MaxSteps)} must be >= 0 (was {MaxSteps}).");
        if (LearningRate < 0) throw new ArgumentException($"{nameof(LearningRate)} must be >= 0 (was {LearningRate}).");
        if (WarmupSteps is < 0) throw new ArgumentException($"{nameof(WarmupSteps)} must be >= 0 (was {WarmupSteps}).");
        if (WarmupFraction is < 0 or > 1) throw new ArgumentException($"{nameof(WarmupFraction)} must be in [0, 1] (was {WarmupFraction}).");
        if (GradientAccumulationSteps < 1) throw new ArgumentException($"{nameof(GradientAccumulationSteps)} must be >= 1 (was {GradientAccumulationSteps}).");
        if (EvaluateEverySteps is < 1) throw new ArgumentException($"{nameof(EvaluateEverySteps)} must be >= 1 when set (was {EvaluateEverySteps}).");
        if (EarlyStoppingPatience is < 1) throw new ArgumentException($"{nameof(EarlyStoppingPatience)} must be >= 1 when set (was {EarlyStoppingPatience}).");
        if (SaveEverySteps is < 1) throw new ArgumentException($"{nameof(SaveEverySteps)} must be >= 1 when set (was {SaveEverySteps}).");
        if (SaveEverySteps is not null && TrainingStateDirectory is null)
            throw new ArgumentException($"{nameof(SaveEverySteps)} is set but {nameof(TrainingStateDirectory)} is null.");
        if (ResumeFrom is not null && !Directory.Exists(ResumeFrom))
            throw new ArgumentException($"{nameof(ResumeFrom)} directory '{ResumeFrom}' does not exist.");
    }
}
