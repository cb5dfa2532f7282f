using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Transformers.Training;

/// <summary>
/// The one training loop of this project; estimators use it by composition, handing over the model and an
/// <see cref="ITrainingTask{TBatch}"/>. Per optimizer step: zero grads → k = accumulation batches, each
/// backward of loss/k → global gradient norm → AdamW at the scheduled rate with the clipping factor folded in (bf16: the
/// update also writes the rounded masters into the model) → progress → evaluation / early stopping / checkpoint as
/// configured. One dispose scope per step keeps native memory flat. Deterministic for the seed: torch is seeded once at the start (or its RNG restored on resume) and the task
/// orders data from (epoch, seed). The model must already be on its device.
/// </summary>
internal static class Trainer
{
    /// <summary>
    /// Trains <paramref name="model"/> on <paramref name="task"/> for <paramref name="epochs"/> passes (capped by
    /// <see cref="TrainerOptions.MaxSteps"/>), reporting to <see cref="TrainerOptions.Progress"/> and <paramref name="log"/>.
    /// </summary>
    /// <param name="model">The model, on its device; trained in place.</param>
    /// <param name="task">Batches, loss and validation.</param>
    /// <param name="options">The loop's settings.</param>
    /// <param name="epochs">Passes over the task's training batches (the estimator's <c>MaxEpochs</c>).</param>
    /// <param name="seed">The resolved seed (an estimator passes <see cref="TrainerOptions.Seed"/> or its MLContext's seed).</param>
    /// <param name="log">Receives log lines (an estimator passes its ML.NET channel).</param>
    /// <param name="warn">Receives warnings, e.g. bf16 asked for on a CPU that emulates it (an estimator passes its channel's
    /// <c>Warning</c>); null = they go to <paramref name="log"/>.</param>
    /// <exception cref="OperationCanceledException">When <see cref="TrainerOptions.CancellationToken"/> fires; checked before every
    /// step, so the model holds the weights of the last completed step (in fp32, also with bf16).</exception>
    public static TrainingResult Run<TBatch>(nn.Module model, ITrainingTask<TBatch> task, TrainerOptions options, int epochs, int seed,
        Action<string>? log = null, Action<string>? warn = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (epochs < 0) throw new ArgumentOutOfRangeException(nameof(epochs), epochs, "The number of epochs must be >= 0.");
        int batchesPerEpoch = task.TrainingBatchesPerEpoch;
        if (batchesPerEpoch <= 0)
            throw new InvalidOperationException($"The training task has {batchesPerEpoch} batches per epoch; there is nothing to train on.");

        var progress = options.Progress;
        var cancellationToken = options.CancellationToken;
        torch.manual_seed(seed);
        int accumulation = options.GradientAccumulationSteps;
        int stepsPerEpoch = (batchesPerEpoch + accumulation - 1) / accumulation;
        int totalSteps = Math.Min(options.MaxSteps ?? int.MaxValue, epochs * stepsPerEpoch);
        int warmup = options.WarmupSteps ?? (int)Math.Ceiling(options.WarmupFraction * totalSteps);
        var schedule = new LinearWarmupSchedule(options.LearningRate, warmup, totalSteps);

        bool bf16 = Inference.HostPrecision.ResolveUseBf16(options.UseBf16, warn ?? log, log);
        using var precision = bf16 ? new Bf16MixedPrecision(model) : null;
        var trainable = precision?.Masters.ToList()
            ?? model.named_parameters().Where(np => np.parameter.requires_grad).Select(np => (np.name, (Tensor)np.parameter)).ToList();
        // The fused single-pass AdamW serves bf16 training, where it also writes the rounded masters into the model. fp32
        // training keeps libtorch's own op sequence (torch.optim.AdamW's, bit for bit) so fp32 runs reproduce the figures
        // measured before the fused pass existed; the fused pass agrees with it to ~1e-6 relative, not bit for bit.
        using var optimizer = new AdamW(trainable, options.AdamBeta1, options.AdamBeta2, options.AdamEpsilon, options.WeightDecay)
        {
            UseFusedKernel = bf16,
        };
        List<Tensor>? best = null;
        var state = new LoopState { TotalSteps = totalSteps };
        if (options.ResumeFrom is not null)
        {
            state = TrainingCheckpoint.Load(options.ResumeFrom, optimizer, ref best);
            if (state.TotalSteps != totalSteps)
                throw new InvalidOperationException($"Checkpoint '{options.ResumeFrom}' was planned for {state.TotalSteps} steps, these options give {totalSteps}; resume with the same MaxEpochs/MaxSteps/accumulation.");
            precision?.CopyMastersToModel();
            log?.Invoke($"Resumed from '{options.ResumeFrom}' at step {state.Step} (epoch {state.Epoch}, batch {state.BatchInEpoch}).");
        }

        double runTokens = 0, runSeconds = 0;
        bool completed = false;
        int? restored = null;
        try
        {
            model.train();
            while (state.Step < totalSteps && !state.StoppedEarly)
            {
                using var batches = task.TrainingBatches(state.Epoch, seed).GetEnumerator();
                SkipSeenBatches(batches, state.BatchInEpoch);
                while (state.Step < totalSteps && !state.StoppedEarly && state.BatchInEpoch < batchesPerEpoch)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    int k = Math.Min(accumulation, batchesPerEpoch - state.BatchInEpoch);
                    double lr = schedule.LearningRate(state.Step);
                    var (loss, tokens, seconds, gradNorm) = OptimizerStep(model, task, batches, k, lr, options.MaxGradNorm, optimizer, precision);
                    runTokens += tokens; runSeconds += seconds;
                    state.Step++;
                    state.LossHistory.Add(loss);
                    int epochOfStep = state.Epoch;
                    state.BatchInEpoch += k;
                    bool epochEnded = state.BatchInEpoch == batchesPerEpoch;
                    if (epochEnded) { state.Epoch++; state.BatchInEpoch = 0; }

                    ValidationRecord? validation = null;
                    bool evaluateNow = options.EvaluateEverySteps is int every ? state.Step % every == 0 : epochEnded;
                    if (evaluateNow || state.Step == totalSteps)
                        validation = Evaluate(model, task, options, state, optimizer, ref best, log);

                    progress?.Report(new TrainingProgress(state.Step, totalSteps, epochOfStep, loss, lr,
                        seconds > 0 ? tokens / seconds : 0, gradNorm, validation?.Loss, validation?.Metrics));
                    if (log is not null && (state.Step % Math.Max(1, options.LogEverySteps) == 0 || state.Step == totalSteps))
                        log($"step {state.Step}/{totalSteps} epoch {epochOfStep} loss {loss:F4} lr {lr:E2} grad-norm {gradNorm:F3} {tokens / Math.Max(seconds, 1e-9):F0} tokens/s");

                    bool last = state.Step == totalSteps || state.StoppedEarly;
                    if (options.TrainingStateDirectory is not null && (last || (options.SaveEverySteps is int c && state.Step % c == 0)))
                        TrainingCheckpoint.Save(options.TrainingStateDirectory, state, optimizer, best);
                    if (epochEnded) break;
                }
            }
            completed = true;
        }
        finally
        {
            if (completed && options.RestoreBestWeights && best is not null && state.BestStep != state.Step)
            {
                using (no_grad())
                    for (int i = 0; i < best.Count; i++) optimizer.Parameters[i].Parameter.copy_(best[i]);
                restored = state.BestStep;
                log?.Invoke($"Restored the weights of step {restored} (validation loss {state.BestValidationLoss:F4}).");
            }
            precision?.RestoreFp32();
            if (best is not null) foreach (var t in best) t.Dispose();
        }
        return new TrainingResult
        {
            LossHistory = state.LossHistory,
            ValidationHistory = state.ValidationHistory,
            StepsRun = state.Step,
            StoppedEarly = state.StoppedEarly,
            RestoredBestStep = restored,
            TokensPerSecond = runSeconds > 0 ? runTokens / runSeconds : 0,
            UsedBf16 = bf16,
        };
    }

    private static void SkipSeenBatches<TBatch>(IEnumerator<TBatch> batches, int count)
    {
        using var scope = NewDisposeScope();
        for (int i = 0; i < count; i++)
            if (!batches.MoveNext())
                throw new InvalidOperationException($"The task yielded fewer batches than its TrainingBatchesPerEpoch while skipping to batch {count} on resume.");
    }

    private static (double Loss, long Tokens, double Seconds, double GradNorm) OptimizerStep<TBatch>(
        nn.Module model, ITrainingTask<TBatch> task, IEnumerator<TBatch> batches, int k, double lr, double? maxGradNorm,
        AdamW optimizer, Bf16MixedPrecision? precision)
    {
        var clock = Stopwatch.StartNew();
        using var scope = NewDisposeScope();
        model.zero_grad();
        if (k > 1) precision?.ZeroMasterGradients();
        double lossSum = 0;
        long tokens = 0;
        for (int i = 0; i < k; i++)
        {
            using var microScope = NewDisposeScope();
            if (!batches.MoveNext())
                throw new InvalidOperationException($"The task yielded fewer batches than its TrainingBatchesPerEpoch ({task.TrainingBatchesPerEpoch}).");
            var batch = batches.Current;
            var loss = task.ComputeLoss(batch);
            if (loss.dtype != ScalarType.Float32)
                throw new InvalidOperationException($"The task's loss is {loss.dtype}; compute it in float32 (cast logits with .to(ScalarType.Float32) under bf16).");
            (loss / k).backward();
            lossSum += loss.item<float>();
            tokens += task.CountTokens(batch);
            if (k > 1) precision?.AccumulateGradients();
        }
        // Clipping's factor goes into the optimizer's pass rather than a pass of its own; under bf16 the optimizer also
        // writes the rounded masters into the model.
        IReadOnlyList<Tensor?> gradients = precision?.Gradients(accumulated: k > 1)
            ?? optimizer.Parameters.Select(p => (Tensor?)p.Parameter.grad).ToList();
        double norm;
        if (precision is null)
        {
            norm = GradientClipping.ClipByGlobalNorm(gradients, maxGradNorm);   // fp32: the reference sequence (see the optimizer above)
            optimizer.Step(lr, gradients);
        }
        else
        {
            norm = GradientClipping.GlobalNorm(gradients);
            optimizer.Step(lr, gradients, GradientClipping.Scale(norm, maxGradNorm), precision.ModelParameters());
        }
        return (lossSum / k, tokens, clock.Elapsed.TotalSeconds, norm);
    }

    private static ValidationRecord? Evaluate<TBatch>(nn.Module model, ITrainingTask<TBatch> task, TrainerOptions options,
        LoopState state, AdamW optimizer, ref List<Tensor>? best, Action<string>? log)
    {
        ValidationResult? result;
        model.eval();
        using (no_grad())
        using (NewDisposeScope())
            result = task.Evaluate();
        model.train();
        if (result is null) return null;

        var record = new ValidationRecord(state.Step, result.Loss, result.Metrics);
        state.ValidationHistory.Add(record);
        if (state.BestValidationLoss is not double bestLoss || result.Loss < bestLoss)
        {
            state.BestValidationLoss = result.Loss;
            state.BestStep = state.Step;
            state.EvaluationsWithoutImprovement = 0;
            if (options.RestoreBestWeights)
            {
                best ??= optimizer.Parameters.Select(p => zeros_like(p.Parameter).DetachFromDisposeScope()).ToList();
                using (no_grad())
                    for (int i = 0; i < best.Count; i++) best[i].copy_(optimizer.Parameters[i].Parameter);
            }
        }
        else if (options.EarlyStoppingPatience is int patience && ++state.EvaluationsWithoutImprovement >= patience)
        {
            state.StoppedEarly = state.Step < state.TotalSteps;
        }
        string metrics = string.Concat(result.Metrics.Select(m => $" {m.Key} {m.Value:F4}"));
        log?.Invoke($"step {state.Step}: validation loss {result.Loss:F4}{metrics}{(state.StoppedEarly ? " — early stopping" : "")}");
        return record;
    }
}
