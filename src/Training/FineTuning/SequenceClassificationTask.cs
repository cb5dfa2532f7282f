using MLNet.Transformers.Models;
using MLNet.Transformers.Tokenization;
using static TorchSharp.torch;

namespace MLNet.Transformers.Training.FineTuning;

/// <summary>
/// Fine-tuning a sequence head for the shared loop, with HF's losses: cross-entropy over the classes, or MSE on the one
/// output for regression (<c>problem_type: "regression"</c>). Validation reports the loss and, for classes, accuracy.
/// </summary>
internal sealed class SequenceClassificationTask : ITrainingTask<EncodedBatch>
{
    private readonly EncoderClassifier model;
    private readonly IEncoderTokenizer tokenizer;
    private readonly SequenceExamples training;
    private readonly SequenceExamples? validation;
    private readonly int batchSize, maxLength;
    private readonly Device device;

    public SequenceClassificationTask(EncoderClassifier model, IEncoderTokenizer tokenizer, SequenceExamples training, SequenceExamples? validation,
        int batchSize, int maxLength, Device device)
    {
        this.model = model;
        this.tokenizer = tokenizer;
        this.training = training;
        this.validation = validation;
        this.batchSize = batchSize;
        this.maxLength = maxLength;
        this.device = device;
    }

    private bool IsRegression => training.Targets is not null;

    public int TrainingBatchesPerEpoch => (training.Count + batchSize - 1) / batchSize;

    public IEnumerable<EncodedBatch> TrainingBatches(int epoch, int seed)
    {
        foreach (var rows in EncodedBatch.EpochOrder(training.Count, epoch, seed).Chunk(batchSize))
            yield return Batch(training, rows);
    }

    private EncodedBatch Batch(SequenceExamples data, int[] rows)
    {
        var encoded = tokenizer.EncodeBatch(rows.Select(i => data.First[i]).ToArray(), data.Second is null ? null : rows.Select(i => data.Second[i]).ToArray(), maxLength);
        var labels = IsRegression ? tensor(rows.Select(i => data.Targets![i]).ToArray()) : tensor(rows.Select(i => data.Classes![i]).ToArray());
        return EncodedBatch.Create(encoded, labels, device);
    }

    public Tensor ComputeLoss(EncodedBatch batch)
    {
        using var scope = NewDisposeScope();
        var logits = model.forward(batch.InputIds, batch.TokenTypeIds, batch.AttentionMask).to(ScalarType.Float32); // (B, L)
        var loss = IsRegression
            ? nn.functional.mse_loss(logits.squeeze(-1), batch.Labels)
            : nn.functional.cross_entropy(logits, batch.Labels);
        return loss.MoveToOuterDisposeScope();
    }

    public long CountTokens(EncodedBatch batch) => batch.AttentionMask.sum().item<long>();

    public ValidationResult? Evaluate()
    {
        if (validation is null) return null;
        double lossSum = 0; long correct = 0;
        foreach (var rows in Enumerable.Range(0, validation.Count).Chunk(batchSize))
        {
            using var scope = NewDisposeScope();
            var batch = Batch(validation, rows);
            var logits = model.forward(batch.InputIds, batch.TokenTypeIds, batch.AttentionMask).to(ScalarType.Float32);
            if (IsRegression) lossSum += nn.functional.mse_loss(logits.squeeze(-1), batch.Labels, nn.Reduction.Sum).item<float>();
            else
            {
                lossSum += nn.functional.cross_entropy(logits, batch.Labels, reduction: nn.Reduction.Sum).item<float>();
                correct += logits.argmax(-1).eq(batch.Labels).sum().item<long>();
            }
        }
        var metrics = new Dictionary<string, double>();
        if (!IsRegression) metrics["Accuracy"] = (double)correct / validation.Count;
        return new ValidationResult(lossSum / validation.Count, metrics);
    }
}
