namespace MLNet.Transformers.Training;

/// <summary>What a <see cref="Trainer"/> run did.</summary>
public sealed class TrainingResult
{
    /// <summary>Training loss per optimizer step, from step 1 (includes steps before a resume).</summary>
    public required IReadOnlyList<double> LossHistory { get; init; }

    /// <summary>Every evaluation, in order.</summary>
    public required IReadOnlyList<ValidationRecord> ValidationHistory { get; init; }

    /// <summary>Optimizer steps done in total (including those before a resume).</summary>
    public required int StepsRun { get; init; }

    /// <summary>True when early stopping ended the run before its planned steps.</summary>
    public required bool StoppedEarly { get; init; }

    /// <summary>Step whose weights the model holds when best weights were restored; null when they were not.</summary>
    public int? RestoredBestStep { get; init; }

    /// <summary>Tokens per second over the steps of this run (sum of tokens / sum of step wall time).</summary>
    public required double TokensPerSecond { get; init; }

    /// <summary>Whether the run trained in bf16 mixed precision (<see cref="TrainerOptions.UseBf16"/> as resolved on this host).</summary>
    public bool UsedBf16 { get; init; }
}

/// <summary>One evaluation on the validation data.</summary>
/// <param name="Step">Optimizer step after which it ran.</param>
/// <param name="Loss">Validation loss.</param>
/// <param name="Metrics">Named metrics the task computed (may be empty).</param>
public sealed record ValidationRecord(int Step, double Loss, IReadOnlyDictionary<string, double> Metrics);
