using MLNet.Transformers.Training;
using MLNet.Transformers.Training.Pretraining;
using static TorchSharp.torch;

namespace MLNet.Transformers.Estimators;

/// <summary>One pretraining forward: (B, T) ids, segment ids, mask and the chosen positions → (N, V) masked-LM logits at the
/// chosen positions and, for BERT with its NSP head, (B, 2) next-sentence logits.</summary>
internal delegate (Tensor MaskedLanguageModel, Tensor? NextSentence) PretrainingForward(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask, Tensor chosen);

/// <summary>
/// The masked-LM pretraining objective for the shared training loop (any encoder family): masked-LM cross-entropy averaged
/// over the chosen positions only, plus next-sentence cross-entropy on the pooled [CLS] when the model has BERT's NSP head.
/// Masks are drawn per batch (dynamic masking) from an RNG seeded by a stable mix of (seed, epoch, batch), so a run
/// resumed in another process sees the same batches and masks as an uninterrupted one.
/// </summary>
internal sealed class MaskedLanguageModelTask : ITrainingTask<PretrainingBatch>
{
    private readonly PretrainingForward model;
    private readonly IReadOnlyList<PretrainingInstance> training;
    private readonly IReadOnlyList<PretrainingInstance> validation;
    private readonly SpecialTokenIds specialIds;
    private readonly MaskedLanguageModelMasker masker;
    private readonly Func<int, bool>? isContinuationPiece;
    private readonly int batchSize;
    private readonly Device device;
    private readonly int validationSeed;

    public MaskedLanguageModelTask(PretrainingForward model, IReadOnlyList<PretrainingInstance> training, IReadOnlyList<PretrainingInstance> validation,
        SpecialTokenIds specialIds, MaskedLanguageModelMasker masker, Func<int, bool>? isContinuationPiece, int batchSize, Device device, int seed)
    {
        this.model = model;
        this.training = training;
        this.validation = validation;
        this.specialIds = specialIds;
        this.masker = masker;
        this.isContinuationPiece = isContinuationPiece;
        this.batchSize = batchSize;
        this.device = device;
        validationSeed = seed ^ 0x5eed;
    }

    /// <summary>Metrics of the last <see cref="Evaluate"/> call.</summary>
    public PretrainingMetrics? LastValidationMetrics { get; private set; }

    public int TrainingBatchesPerEpoch => (training.Count + batchSize - 1) / batchSize;

    public IEnumerable<PretrainingBatch> TrainingBatches(int epoch, int seed)
    {
        var order = Enumerable.Range(0, training.Count).ToArray();
        new Random(StableSeed.Mix(seed, epoch)).Shuffle(order);
        for (int b = 0; b * batchSize < order.Length; b++)
        {
            var rows = order.Skip(b * batchSize).Take(batchSize).Select(i => training[i]).ToList();
            yield return PretrainingBatch.Create(rows, specialIds, masker, new Random(StableSeed.Mix(seed, epoch, b)), isContinuationPiece, device: device);
        }
    }

    public Tensor ComputeLoss(PretrainingBatch batch)
    {
        using var scope = NewDisposeScope();
        var chosen = batch.Labels.ne(MaskedLanguageModelMasker.IgnoreIndex);                    // (B, T)
        var output = model(batch.InputIds, batch.TokenTypeIds, batch.AttentionMask, chosen);
        // Cross-entropy in float32 even when the model computes in bf16; mean over the chosen positions only.
        var loss = chosen.any().item<bool>()
            ? nn.functional.cross_entropy(output.MaskedLanguageModel.to(ScalarType.Float32), batch.Labels[chosen])
            : zeros(1, device: batch.InputIds.device).sum();
        if (output.NextSentence is { } nsp && batch.NextSentenceLabels is { } nspLabels)
            loss = loss + nn.functional.cross_entropy(nsp.to(ScalarType.Float32), nspLabels, ignore_index: MaskedLanguageModelMasker.IgnoreIndex);
        return loss.MoveToOuterDisposeScope();
    }

    public long CountTokens(PretrainingBatch batch) => batch.AttentionMask.sum().item<long>();

    public ValidationResult? Evaluate()
    {
        if (validation.Count == 0) return null;
        var metrics = new PretrainingMetrics();
        var random = new Random(validationSeed); // the same masks at every evaluation, so losses are comparable
        foreach (var rows in validation.Chunk(batchSize))
        {
            using var scope = NewDisposeScope();
            using var batch = PretrainingBatch.Create(rows, specialIds, masker, random, isContinuationPiece, device: device);
            var chosen = batch.Labels.ne(MaskedLanguageModelMasker.IgnoreIndex);
            var output = model(batch.InputIds, batch.TokenTypeIds, batch.AttentionMask, chosen);
            metrics.AddMaskedLanguageModel(output.MaskedLanguageModel.to(ScalarType.Float32), batch.Labels[chosen]);
            if (output.NextSentence is { } nsp && batch.NextSentenceLabels is { } nspLabels)
                metrics.AddNextSentence(nsp, nspLabels);
        }
        LastValidationMetrics = metrics;
        var named = new Dictionary<string, double>
        {
            ["MaskedTokenAccuracy"] = metrics.MaskedTokenAccuracy,
            ["Perplexity"] = metrics.Perplexity,
        };
        if (metrics.NextSentenceCount > 0) named["NextSentenceAccuracy"] = metrics.NextSentenceAccuracy;
        return new ValidationResult(metrics.MeanMaskedTokenLoss, named);
    }
}
