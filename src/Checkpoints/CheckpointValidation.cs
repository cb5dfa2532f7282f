namespace MLNet.Transformers.Checkpoints;

/// <summary>
/// Process-wide switches for what loading a checkpoint checks. Every loader (estimators, transformers,
/// <c>mlContext.Model.Load</c>) rejects NaN or infinite weights by default, with an error naming the tensor.
/// </summary>
public static class CheckpointValidation
{
    private static volatile bool allowNonFiniteWeights;

    /// <summary>
    /// Set to true to load checkpoints whose weights contain NaN or ±infinity (for example to inspect a diverged training
    /// run). Default false: such a checkpoint is refused, because one NaN weight silently turns every output into NaN.
    /// </summary>
    public static bool AllowNonFiniteWeights
    {
        get => allowNonFiniteWeights;
        set => allowNonFiniteWeights = value;
    }
}
