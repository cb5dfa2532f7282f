using MLNet.Transformers.Models.Gpt2;
using MLNet.Transformers.Training;
using static TorchSharp.torch;

namespace MLNet.Transformers.Estimators;

/// <summary>
/// Next-token prediction for the shared training loop. The corpus is packed (documents joined with &lt;|endoftext|&gt;, cut
/// into blocks of block size + 1 tokens that overlap by one), and each block trains with teacher forcing: inputs = tokens
/// 0…T−1, labels = tokens 1…T. The loss is the cross-entropy averaged over the predicted tokens; validation reports the same
/// loss and its exponential, the perplexity.
/// </summary>
internal sealed class CausalLanguageModelTask(Gpt2LMHeadModel model, IReadOnlyList<int[]> training, IReadOnlyList<int[]> validation,
    int padId, int batchSize, Device device) : ITrainingTask<(Tensor Inputs, Tensor Mask, Tensor Labels)>
{
    private const int IgnoreIndex = -100;

    public int TrainingBatchesPerEpoch => (training.Count + batchSize - 1) / batchSize;

    public IEnumerable<(Tensor Inputs, Tensor Mask, Tensor Labels)> TrainingBatches(int epoch, int seed)
    {
        var order = Enumerable.Range(0, training.Count).ToArray();
        new Random(unchecked(seed * 1_000_003 + epoch)).Shuffle(order);      // deterministic in every process
        foreach (var chunk in order.Chunk(batchSize))
            yield return Collate(chunk.Select(i => training[i]).ToList());
    }

    private (Tensor, Tensor, Tensor) Collate(IReadOnlyList<int[]> blocks)
    {
        int width = blocks.Max(b => b.Length) - 1, n = blocks.Count;
        var inputs = new long[n * width]; var mask = new long[n * width]; var labels = new long[n * width];
        for (int r = 0; r < n; r++)
            for (int t = 0; t < width; t++)
            {
                bool real = t + 1 < blocks[r].Length;
                inputs[r * width + t] = real ? blocks[r][t] : padId;
                mask[r * width + t] = real ? 1 : 0;
                labels[r * width + t] = real ? blocks[r][t + 1] : IgnoreIndex;
            }
        return (tensor(inputs, device: device).view(n, width), tensor(mask, device: device).view(n, width), tensor(labels, device: device).view(n, width));
    }

    public Tensor ComputeLoss((Tensor Inputs, Tensor Mask, Tensor Labels) batch)
    {
        using var scope = NewDisposeScope();
        var logits = model.forward(batch.Inputs, batch.Mask);                            // (B, T, V)
        var loss = nn.functional.cross_entropy(logits.to(ScalarType.Float32).flatten(0, 1), batch.Labels.flatten(), ignore_index: IgnoreIndex);
        return loss.MoveToOuterDisposeScope();
    }

    public long CountTokens((Tensor Inputs, Tensor Mask, Tensor Labels) batch) => batch.Mask.sum().item<long>();

    public ValidationResult? Evaluate()
    {
        if (validation.Count == 0) return null;
        double total = 0; long count = 0;
        foreach (var chunk in validation.Chunk(batchSize))
        {
            using var scope = NewDisposeScope();
            var (inputs, mask, labels) = Collate(chunk);
            var logits = model.forward(inputs, mask).to(ScalarType.Float32);
            total += nn.functional.cross_entropy(logits.flatten(0, 1), labels.flatten(), ignore_index: IgnoreIndex, reduction: nn.Reduction.Sum).item<float>();
            count += mask.sum().item<long>();
        }
        double mean = total / Math.Max(1, count);
        LastValidationPerplexity = Math.Exp(mean);
        return new ValidationResult(mean, new Dictionary<string, double> { ["Perplexity"] = LastValidationPerplexity.Value });
    }

    /// <summary>Perplexity of the last <see cref="Evaluate"/>.</summary>
    public double? LastValidationPerplexity { get; private set; }
}
