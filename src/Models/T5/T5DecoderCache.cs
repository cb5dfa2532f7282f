using static TorchSharp.torch;

namespace MLNet.Transformers.Models.T5;

/// <summary>
/// What the T5 decoder keeps between generation steps: per block, the self-attention keys/values of the positions
/// generated so far (B, nh, S, d_kv), growing by one position per step, and the cross-attention keys/values of the
/// encoder output (B, nh, S_src, d_kv), computed once per source on the first step. The cache owns its tensors
/// (outside any dispose scope); dispose it when generation ends. Not for training (the tensors are detached).
/// </summary>
internal sealed class T5DecoderCache : Generation.IDecoderCache
{
    private readonly Tensor?[] selfKeys;
    private readonly Tensor?[] selfValues;
    private readonly Tensor?[] crossKeys;
    private readonly Tensor?[] crossValues;

    /// <summary>An empty cache for a decoder with <paramref name="layers"/> blocks.</summary>
    public T5DecoderCache(int layers)
    {
        selfKeys = new Tensor?[layers];
        selfValues = new Tensor?[layers];
        crossKeys = new Tensor?[layers];
        crossValues = new Tensor?[layers];
    }

    /// <summary>Decoder positions already seen (the length of the cached self-attention keys).</summary>
    public int Length => selfKeys[0] is { } k ? (int)k.shape[2] : 0;

    /// <summary>Whether the encoder output's keys/values are already cached.</summary>
    public bool HasEncoderKeysValues => crossKeys[0] is not null;

    /// <summary>Appends layer <paramref name="layer"/>'s new self-attention keys/values and returns all of them (B, nh, S+T, d_kv).</summary>
    public (Tensor Keys, Tensor Values) AppendSelf(int layer, Tensor newKeys, Tensor newValues)
    {
        selfKeys[layer] = Append(selfKeys[layer], newKeys);
        selfValues[layer] = Append(selfValues[layer], newValues);
        return (selfKeys[layer]!.alias(), selfValues[layer]!.alias());
    }

    /// <summary>Layer <paramref name="layer"/>'s cross-attention keys/values, projecting them with <paramref name="project"/> on first use.</summary>
    public (Tensor Keys, Tensor Values) EncoderKeysValues(int layer, Func<(Tensor Keys, Tensor Values)> project)
    {
        if (crossKeys[layer] is null)
        {
            var (keys, values) = project();
            crossKeys[layer] = Own(null, keys.detach());
            crossValues[layer] = Own(null, values.detach());
        }
        return (crossKeys[layer]!.alias(), crossValues[layer]!.alias());
    }

    /// <summary>Keeps rows <paramref name="rows"/> (int64, the new batch order) of every cached tensor — beam search's reordering.</summary>
    public void Reorder(Tensor rows)
    {
        foreach (var cached in new[] { selfKeys, selfValues, crossKeys, crossValues })
            for (int i = 0; i < cached.Length; i++)
                if (cached[i] is { } t) cached[i] = Own(t, t.index_select(0, rows.to(t.device)));
    }

    private static Tensor Append(Tensor? old, Tensor added) =>
        old is null ? Own(null, added.detach().clone()) : Own(old, cat(new[] { old, added.detach() }, 2));

    private static Tensor Own(Tensor? old, Tensor next)
    {
        next.DetachFromDisposeScope();
        old?.Dispose();
        return next;
    }

    /// <summary>Frees the cached tensors.</summary>
    public void Dispose()
    {
        foreach (var cached in new[] { selfKeys, selfValues, crossKeys, crossValues })
            for (int i = 0; i < cached.Length; i++) { cached[i]?.Dispose(); cached[i] = null; }
    }
}
