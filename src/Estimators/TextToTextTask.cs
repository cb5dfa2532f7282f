using MLNet.Transformers.Models.T5;
using MLNet.Transformers.Training;
using MLNet.Transformers.Training.Objectives.SpanCorruption;
using static TorchSharp.torch;

namespace MLNet.Transformers.Estimators;

/// <summary>
/// Sequence-to-sequence teacher forcing for the shared training loop (T5 fine-tuning and pretraining): the encoder reads the
/// input ids, the decoder reads [decoder_start] + labels shifted right, and the loss is the cross-entropy averaged over the
/// label tokens (&lt;/s&gt; included; padding ignored), as HF's <c>T5ForConditionalGeneration(labels=…)</c>. The examples of an
/// epoch come from <paramref name="training"/>(epoch, seed), so pretraining can draw a fresh corruption every epoch; they are
/// shuffled from (seed, epoch). Validation reports the same mean loss and its exponential (perplexity per target token).
/// </summary>
internal sealed class TextToTextTask(T5ForConditionalGeneration model, Func<int, int, IReadOnlyList<TextToTextPair>> training, int trainingCount,
    IReadOnlyList<TextToTextPair> validation, int batchSize, Device device) : ITrainingTask<(Tensor Inputs, Tensor Mask, Tensor Labels)>
{
    private const int IgnoreIndex = -100;

    public int TrainingBatchesPerEpoch => (trainingCount + batchSize - 1) / batchSize;

    public IEnumerable<(Tensor Inputs, Tensor Mask, Tensor Labels)> TrainingBatches(int epoch, int seed)
    {
        var examples = training(epoch, seed);
        var order = Enumerable.Range(0, examples.Count).ToArray();
        new Random(StableSeed.Mix(seed, epoch)).Shuffle(order);              // deterministic in every process
        foreach (var chunk in order.Chunk(batchSize))
            yield return Collate(chunk.Select(i => examples[i]).ToList(), model.Config.PadTokenId, device);
    }

    /// <summary>Right-pads inputs with &lt;pad&gt; (mask 0) and labels with -100 (ignored by the loss).</summary>
    public static (Tensor Inputs, Tensor Mask, Tensor Labels) Collate(IReadOnlyList<TextToTextPair> pairs, int padId, Device device)
    {
        int n = pairs.Count, s = Math.Max(1, pairs.Max(p => p.Input.Length)), t = Math.Max(1, pairs.Max(p => p.Target.Length));
        var inputs = new long[n * s]; var mask = new long[n * s]; var labels = new long[n * t];
        for (int r = 0; r < n; r++)
        {
            for (int i = 0; i < s; i++)
            {
                bool real = i < pairs[r].Input.Length;
                inputs[r * s + i] = real ? pairs[r].Input[i] : padId;
                mask[r * s + i] = real ? 1 : 0;
            }
            for (int i = 0; i < t; i++) labels[r * t + i] = i < pairs[r].Target.Length ? pairs[r].Target[i] : IgnoreIndex;
        }
        return (tensor(inputs, device: device).view(n, s), tensor(mask, device: device).view(n, s), tensor(labels, device: device).view(n, t));
    }

    /// <summary>Teacher-forced logits (B, T, V) for a collated batch.</summary>
    public static Tensor Logits(T5ForConditionalGeneration model, (Tensor Inputs, Tensor Mask, Tensor Labels) batch)
    {
        using var scope = NewDisposeScope();
        return model.forward(batch.Inputs, batch.Mask, model.ShiftRight(batch.Labels)).MoveToOuterDisposeScope();
    }

    public Tensor ComputeLoss((Tensor Inputs, Tensor Mask, Tensor Labels) batch)
    {
        using var scope = NewDisposeScope();
        return T5ForConditionalGeneration.Loss(Logits(model, batch), batch.Labels).MoveToOuterDisposeScope();
    }

    public long CountTokens((Tensor Inputs, Tensor Mask, Tensor Labels) batch) => batch.Mask.sum().item<long>() + batch.Labels.ne(IgnoreIndex).sum().item<long>();

    public ValidationResult? Evaluate()
    {
        if (validation.Count == 0) return null;
        double total = 0; long count = 0;
        foreach (var chunk in validation.Chunk(batchSize))
        {
            using var scope = NewDisposeScope();
            var batch = Collate(chunk, model.Config.PadTokenId, device);
            var logits = Logits(model, batch).to(ScalarType.Float32);
            total += nn.functional.cross_entropy(logits.flatten(0, 1), batch.Labels.flatten(), ignore_index: IgnoreIndex, reduction: nn.Reduction.Sum).item<float>();
            count += batch.Labels.ne(IgnoreIndex).sum().item<long>();
        }
        double mean = total / Math.Max(1, count);
        LastValidationLoss = mean;
        return new ValidationResult(mean, new Dictionary<string, double> { ["Perplexity"] = Math.Exp(mean) });
    }

    /// <summary>Mean validation loss per target token of the last <see cref="Evaluate"/>.</summary>
    public double? LastValidationLoss { get; private set; }
}
