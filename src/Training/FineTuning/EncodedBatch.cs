using MLNet.Transformers.Tokenization;
using static TorchSharp.torch;

namespace MLNet.Transformers.Training.FineTuning;

/// <summary>A tokenized batch on its device, with the task's labels: (B, T) ids, segment ids, mask; labels (B) or (B, T).</summary>
internal sealed record EncodedBatch(Tensor InputIds, Tensor TokenTypeIds, Tensor AttentionMask, Tensor Labels)
{
    /// <summary>Tensors of a padded <see cref="EncodedTextBatch"/> plus <paramref name="labels"/>.</summary>
    public static EncodedBatch Create(EncodedTextBatch encoded, Tensor labels, Device device)
    {
        var shape = new long[] { encoded.BatchSize, encoded.SequenceLength };
        return new EncodedBatch(tensor(encoded.InputIds, shape, device: device), tensor(encoded.TokenTypeIds, shape, device: device),
            tensor(encoded.AttentionMask, shape, device: device), labels.to(device));
    }

    /// <summary>The order of one epoch's examples: shuffled by (seed, epoch) only, as the training loop requires for resume.</summary>
    public static int[] EpochOrder(int count, int epoch, int seed)
    {
        var order = Enumerable.Range(0, count).ToArray();
        new Random(unchecked(seed * 1_000_003 + epoch)).Shuffle(order);   // not HashCode.Combine: it is randomised per process
        return order;
    }
}
