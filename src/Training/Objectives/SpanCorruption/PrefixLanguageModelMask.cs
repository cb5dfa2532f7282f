using static TorchSharp.torch;

namespace MLNet.Transformers.Training.Objectives.SpanCorruption;

/// <summary>
/// The attention pattern of a prefix language model (T5 paper, Figure 3 right): every position sees the whole prefix
/// (fully visible, as an encoder), and positions after the prefix also see earlier positions only (causal, as a decoder).
/// </summary>
public static class PrefixLanguageModelMask
{
    /// <summary>(T, T) bool, true where query i may attend key j: j &lt; <paramref name="prefixLength"/> or j ≤ i.</summary>
    public static Tensor Create(long length, long prefixLength, Device? device = null)
    {
        if (prefixLength < 0 || prefixLength > length) throw new ArgumentOutOfRangeException(nameof(prefixLength), $"The prefix ({prefixLength}) must fit in the sequence ({length}).");
        using var scope = NewDisposeScope();
        var query = arange(length, device: device).unsqueeze(1);
        var key = arange(length, device: device).unsqueeze(0);
        return (key.lt(prefixLength) | key.le(query)).MoveToOuterDisposeScope();
    }

    /// <summary>Per-row prefixes: <paramref name="prefixLengths"/> (B) int64 → (B, T, T) bool, for a batch of packed examples.</summary>
    public static Tensor Create(Tensor prefixLengths, long length)
    {
        using var scope = NewDisposeScope();
        var query = arange(length, device: prefixLengths.device).view(1, -1, 1);
        var key = arange(length, device: prefixLengths.device).view(1, 1, -1);
        return (key.lt(prefixLengths.view(-1, 1, 1)) | key.le(query)).MoveToOuterDisposeScope();
    }
}
