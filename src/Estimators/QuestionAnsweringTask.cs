using MLNet.Transformers.Models;
using MLNet.Transformers.Training;
using MLNet.Transformers.Transforms;
using static TorchSharp.torch;

namespace MLNet.Transformers.Estimators;

/// <summary>One training window and its target: the answer's first and last token, or [CLS] (0, 0) when it is not wholly inside.</summary>
internal sealed record QaTrainingWindow(QaWindow Window, int StartPosition, int EndPosition);

/// <summary>
/// The extractive-QA objective for the shared training loop, as HF's <c>…ForQuestionAnswering</c> (every family): loss = mean of the
/// start and end cross-entropies over each window's positions. Windows are shuffled per epoch with a seed derived from
/// (seed, epoch) only.
/// </summary>
internal sealed class QuestionAnsweringTask(QuestionAnsweringModel model, IReadOnlyList<QaTrainingWindow> training,
    IReadOnlyList<QaTrainingWindow> validation, int batchSize, int padId, Device device) : ITrainingTask<IReadOnlyList<QaTrainingWindow>>
{
    public int TrainingBatchesPerEpoch => (training.Count + batchSize - 1) / batchSize;

    public IEnumerable<IReadOnlyList<QaTrainingWindow>> TrainingBatches(int epoch, int seed)
    {
        var order = Enumerable.Range(0, training.Count).ToArray();
        new Random(unchecked(seed * 1_000_003 + epoch)).Shuffle(order);
        for (int b = 0; b * batchSize < order.Length; b++)
            yield return order.Skip(b * batchSize).Take(batchSize).Select(i => training[i]).ToList();
    }

    public Tensor ComputeLoss(IReadOnlyList<QaTrainingWindow> batch)
    {
        using var scope = NewDisposeScope();
        var (ids, types, mask) = QaBatch.Create(batch.Select(w => w.Window).ToList(), padId, device);
        var logits = model.forward(ids, types, mask);
        var starts = tensor(batch.Select(w => (long)w.StartPosition).ToArray(), device: device);
        var ends = tensor(batch.Select(w => (long)w.EndPosition).ToArray(), device: device);
        var loss = (nn.functional.cross_entropy(logits.Start.to(ScalarType.Float32), starts)
                  + nn.functional.cross_entropy(logits.End.to(ScalarType.Float32), ends)) / 2;
        return loss.MoveToOuterDisposeScope();
    }

    public long CountTokens(IReadOnlyList<QaTrainingWindow> batch) => batch.Sum(w => (long)w.Window.InputIds.Length);

    public ValidationResult? Evaluate()
    {
        if (validation.Count == 0) return null;
        double total = 0;
        foreach (var chunk in validation.Chunk(batchSize))
        {
            using var scope = NewDisposeScope();
            total += ComputeLoss(chunk).item<float>() * chunk.Length;
        }
        return new ValidationResult(total / validation.Count, new Dictionary<string, double>());
    }
}
