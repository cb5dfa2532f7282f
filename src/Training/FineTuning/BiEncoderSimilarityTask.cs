using MLNet.Transformers.Models;
using MLNet.Transformers.Tokenization;
using static TorchSharp.torch;

namespace MLNet.Transformers.Training.FineTuning;

/// <summary>
/// Bi-encoder similarity training for the shared loop, as sentence-transformers' <c>CosineSimilarityLoss</c>: each side of
/// the pairs is encoded on its own, the loss is MSE(cos(pooled A, pooled B), label / scale). Validation reports that loss.
/// </summary>
internal sealed class BiEncoderSimilarityTask : ITrainingTask<BiEncoderSimilarityTask.PairBatch>
{
    /// <summary>The two sides of a batch, each a tokenized batch whose labels are the scaled targets (B).</summary>
    internal sealed record PairBatch(EncodedBatch First, EncodedBatch Second);

    private readonly BiEncoderModel model;
    private readonly IEncoderTokenizer tokenizer;
    private readonly SequenceExamples training;
    private readonly SequenceExamples? validation;
    private readonly int batchSize, maxLength;
    private readonly float labelScale;
    private readonly Device device;

    public BiEncoderSimilarityTask(BiEncoderModel model, IEncoderTokenizer tokenizer, SequenceExamples training, SequenceExamples? validation,
        int batchSize, int maxLength, float labelScale, Device device)
    {
        if (training.Second is null || training.Targets is null) throw new ArgumentException("A bi-encoder trains on sentence pairs with float labels.", nameof(training));
        this.model = model;
        this.tokenizer = tokenizer;
        this.training = training;
        this.validation = validation;
        this.batchSize = batchSize;
        this.maxLength = maxLength;
        this.labelScale = labelScale;
        this.device = device;
    }

    public int TrainingBatchesPerEpoch => (training.Count + batchSize - 1) / batchSize;

    public IEnumerable<PairBatch> TrainingBatches(int epoch, int seed)
    {
        foreach (var rows in EncodedBatch.EpochOrder(training.Count, epoch, seed).Chunk(batchSize))
            yield return Batch(training, rows);
    }

    private PairBatch Batch(SequenceExamples data, int[] rows)
    {
        var targets = tensor(rows.Select(i => data.Targets![i] / labelScale).ToArray());
        EncodedBatch Side(IReadOnlyList<string> texts) =>
            EncodedBatch.Create(tokenizer.EncodeBatch(rows.Select(i => texts[i]).ToArray(), null, maxLength), targets, device);
        return new PairBatch(Side(data.First), Side(data.Second!));
    }

    private Tensor Cosine(PairBatch b) =>
        model.Cosine(b.First.InputIds, b.First.TokenTypeIds, b.First.AttentionMask, b.Second.InputIds, b.Second.TokenTypeIds, b.Second.AttentionMask);

    public Tensor ComputeLoss(PairBatch batch)
    {
        using var scope = NewDisposeScope();
        return nn.functional.mse_loss(Cosine(batch), batch.First.Labels).MoveToOuterDisposeScope();
    }

    public long CountTokens(PairBatch batch) => batch.First.AttentionMask.sum().item<long>() + batch.Second.AttentionMask.sum().item<long>();

    public ValidationResult? Evaluate()
    {
        if (validation is null) return null;
        double lossSum = 0;
        foreach (var rows in Enumerable.Range(0, validation.Count).Chunk(batchSize))
        {
            using var scope = NewDisposeScope();
            var batch = Batch(validation, rows);
            lossSum += nn.functional.mse_loss(Cosine(batch), batch.First.Labels, nn.Reduction.Sum).item<float>();
        }
        return new ValidationResult(lossSum / validation.Count, new Dictionary<string, double>());
    }
}
