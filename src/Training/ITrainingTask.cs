using static TorchSharp.torch;

namespace MLNet.Transformers.Training;

/// <summary>
/// What a model is trained on and how its loss is computed; each estimator implements one and hands it to
/// <see cref="Trainer.Run{TBatch}"/>. The task holds the model it computes the loss with.
/// </summary>
/// <typeparam name="TBatch">The task's batch (tensors, or data turned into tensors in <see cref="ComputeLoss"/>).</typeparam>
internal interface ITrainingTask<TBatch>
{
    /// <summary>Number of batches <see cref="TrainingBatches"/> yields per epoch.</summary>
    int TrainingBatchesPerEpoch { get; }

    /// <summary>
    /// The training batches of one epoch, in an order that depends only on (<paramref name="epoch"/>, <paramref name="seed"/>)
    /// — e.g. shuffled with <c>new Random(StableSeed.Mix(seed, epoch))</c>; never <c>HashCode.Combine</c>, which differs per
    /// process. Do not draw from torch's RNG here: on resume the loop
    /// skips batches already seen by enumerating them. Batches are created lazily inside the loop's dispose scope,
    /// so tensors created while yielding are freed after their step.
    /// </summary>
    IEnumerable<TBatch> TrainingBatches(int epoch, int seed);

    /// <summary>Scalar mean loss of one batch, in float32 (cast logits to float first when training in bf16).</summary>
    Tensor ComputeLoss(TBatch batch);

    /// <summary>Tokens in a batch (for tokens/s); return the example count for non-token models.</summary>
    long CountTokens(TBatch batch);

    /// <summary>
    /// Validation loss and named metrics, or null when the task has no validation data. Called with the model in
    /// eval mode, under no_grad and inside a dispose scope.
    /// </summary>
    ValidationResult? Evaluate();
}

/// <summary>Result of <see cref="ITrainingTask{TBatch}.Evaluate"/>.</summary>
/// <param name="Loss">Validation loss (lower is better; drives early stopping and best-weight restore).</param>
/// <param name="Metrics">Named metrics such as accuracy or perplexity (may be empty).</param>
internal sealed record ValidationResult(double Loss, IReadOnlyDictionary<string, double> Metrics);
