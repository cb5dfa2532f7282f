using MLNet.Transformers.Models;
using MLNet.Transformers.Tokenization;
using MLNet.Transformers.Transforms.FineTuning;
using static TorchSharp.torch;

namespace MLNet.Transformers.Training.FineTuning;

/// <summary>
/// Fine-tuning a token head for the shared loop, as HF's token-classification recipe: cross-entropy at each word's first
/// piece only; other pieces, special tokens, padding and words with a missing label carry label -100 and are ignored.
/// Validation reports the loss and word accuracy.
/// </summary>
internal sealed class TokenClassificationTask : ITrainingTask<EncodedBatch>
{
    private const long Ignore = -100;   // HF / torch's ignore_index
    private readonly EncoderClassifier model;
    private readonly IEncoderTokenizer tokenizer;
    private readonly IReadOnlyList<TokenExample> training;
    private readonly IReadOnlyList<TokenExample>? validation;
    private readonly int batchSize, maxLength;
    private readonly Device device;

    public TokenClassificationTask(EncoderClassifier model, IEncoderTokenizer tokenizer, IReadOnlyList<TokenExample> training,
        IReadOnlyList<TokenExample>? validation, int batchSize, int maxLength, Device device)
    {
        this.model = model;
        this.tokenizer = tokenizer;
        this.training = training;
        this.validation = validation;
        this.batchSize = batchSize;
        this.maxLength = maxLength;
        this.device = device;
    }

    public int TrainingBatchesPerEpoch => (training.Count + batchSize - 1) / batchSize;

    public IEnumerable<EncodedBatch> TrainingBatches(int epoch, int seed)
    {
        foreach (var rows in EncodedBatch.EpochOrder(training.Count, epoch, seed).Chunk(batchSize))
            yield return Batch(rows.Select(i => training[i]).ToArray());
    }

    private EncodedBatch Batch(TokenExample[] examples)
    {
        var encoded = tokenizer.EncodeBatch(examples.Select(e => string.Join(" ", e.Words)).ToArray(), null, maxLength);
        int t = encoded.SequenceLength;
        var labels = Enumerable.Repeat(Ignore, examples.Length * t).ToArray();
        for (int i = 0; i < examples.Length; i++)
        {
            var first = WordWindows.FirstTokens(encoded.Encodings[i], examples[i].Words);
            for (int w = 0; w < first.Length; w++)
                if (first[w] >= 0 && examples[i].Classes[w] >= 0) labels[i * t + first[w]] = examples[i].Classes[w];
        }
        return EncodedBatch.Create(encoded, tensor(labels, [examples.Length, t]), device);
    }

    public Tensor ComputeLoss(EncodedBatch batch)
    {
        using var scope = NewDisposeScope();
        var logits = model.forward(batch.InputIds, batch.TokenTypeIds, batch.AttentionMask).to(ScalarType.Float32); // (B, T, L)
        var flat = logits.reshape(-1, logits.shape[2]);
        var labels = batch.Labels.reshape(-1);
        // A batch where every word's label is missing has nothing to learn: a zero loss that still reaches every parameter.
        var loss = labels.ne(Ignore).any().item<bool>()
            ? nn.functional.cross_entropy(flat, labels, ignore_index: Ignore)
            : flat.sum() * 0;
        return loss.MoveToOuterDisposeScope();
    }

    public long CountTokens(EncodedBatch batch) => batch.AttentionMask.sum().item<long>();

    public ValidationResult? Evaluate()
    {
        if (validation is null || validation.Count == 0) return null;
        double lossSum = 0; long correct = 0, words = 0;
        foreach (var chunk in validation.Chunk(batchSize))
        {
            using var scope = NewDisposeScope();
            var batch = Batch(chunk);
            var logits = model.forward(batch.InputIds, batch.TokenTypeIds, batch.AttentionMask).to(ScalarType.Float32);
            var labels = batch.Labels.reshape(-1);
            var flat = logits.reshape(-1, logits.shape[2]);
            var labeled = labels.ne(Ignore);
            long n = labeled.sum().item<long>();
            if (n == 0) continue;
            lossSum += nn.functional.cross_entropy(flat, labels, ignore_index: Ignore, reduction: nn.Reduction.Sum).item<float>();
            correct += flat.argmax(-1).eq(labels).logical_and(labeled).sum().item<long>();
            words += n;
        }
        if (words == 0) return null;
        return new ValidationResult(lossSum / words, new Dictionary<string, double> { ["WordAccuracy"] = (double)correct / words });
    }
}
