namespace MLNet.Transformers.Training;

/// <summary>
/// Linear warmup from 0 to the peak, then linear decay to 0 at the last step — the same multiplier as
/// Hugging Face's <c>get_linear_schedule_with_warmup</c>: optimizer step s (0-based) uses
/// <c>s / warmup</c> while <c>s &lt; warmup</c>, else <c>(total - s) / (total - warmup)</c>, floored at 0.
/// So the very first step has learning rate 0 when there is warmup, as in HF.
/// </summary>
internal sealed class LinearWarmupSchedule
{
    private readonly double _peak;

    /// <summary>Creates the schedule.</summary>
    public LinearWarmupSchedule(double peakLearningRate, int warmupSteps, int totalSteps)
    {
        if (warmupSteps < 0 || totalSteps < 0) throw new ArgumentException("Warmup and total steps must be >= 0.");
        _peak = peakLearningRate;
        WarmupSteps = warmupSteps;
        TotalSteps = totalSteps;
    }

    /// <summary>Steps of linear warmup.</summary>
    public int WarmupSteps { get; }

    /// <summary>Step count at which the rate reaches 0.</summary>
    public int TotalSteps { get; }

    /// <summary>Learning rate for 0-based optimizer step <paramref name="step"/>.</summary>
    public double LearningRate(int step)
    {
        if (step < WarmupSteps) return _peak * step / Math.Max(1, WarmupSteps);
        return _peak * Math.Max(0.0, (double)(TotalSteps - step) / Math.Max(1, TotalSteps - WarmupSteps));
    }
}
