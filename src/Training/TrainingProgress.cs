namespace MLNet.Transformers.Training;

/// <summary>One optimizer step as reported through <see cref="IProgress{T}"/>.</summary>
/// <param name="Step">Optimizer steps done so far (1 after the first step).</param>
/// <param name="TotalSteps">Optimizer steps the run will take if it does not stop early.</param>
/// <param name="Epoch">Zero-based epoch of this step.</param>
/// <param name="Loss">Training loss of this step (mean over its accumulated batches).</param>
/// <param name="LearningRate">Learning rate used by this step.</param>
/// <param name="TokensPerSecond">Tokens (as counted by the task) of this step divided by its wall-clock time.</param>
/// <param name="GradientNorm">Global L2 norm of the gradients before clipping.</param>
/// <param name="ValidationLoss">Validation loss if an evaluation ran after this step, else null.</param>
/// <param name="ValidationMetrics">Named metrics of that evaluation, else null.</param>
public sealed record TrainingProgress(
    int Step, int TotalSteps, int Epoch, double Loss, double LearningRate, double TokensPerSecond,
    double GradientNorm, double? ValidationLoss = null, IReadOnlyDictionary<string, double>? ValidationMetrics = null);
