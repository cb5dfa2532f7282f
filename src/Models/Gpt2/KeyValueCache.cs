using MLNet.Transformers.Generation;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.Gpt2;

/// <summary>
/// Per-layer keys and values of the positions seen so far, (B, n_kv_head, S, head_dim) each: with it a generation step
/// computes one new position and attends over the stored ones. The cache owns its tensors (outside any dispose scope).
/// Nothing in it is GPT-2 specific: any decoder with per-layer self-attention can use it.
/// </summary>
internal sealed class KeyValueCache : IDecoderCache
{
    private readonly Tensor?[] keys;
    private readonly Tensor?[] values;

    /// <summary>An empty cache for a model with <paramref name="layers"/> blocks.</summary>
    public KeyValueCache(int layers)
    {
        keys = new Tensor?[layers];
        values = new Tensor?[layers];
    }

    /// <inheritdoc/>
    public int Length => keys[0] is { } k ? (int)k.shape[2] : 0;

    /// <summary>Appends the new keys/values (B, kvh, T, hd) of layer <paramref name="layer"/> and returns all of them (B, kvh, S+T, hd).</summary>
    public (Tensor Keys, Tensor Values) Append(int layer, Tensor newKeys, Tensor newValues)
    {
        keys[layer] = Replace(keys[layer], newKeys);
        values[layer] = Replace(values[layer], newValues);
        return (keys[layer]!.alias(), values[layer]!.alias());
    }

    /// <inheritdoc/>
    public void Reorder(Tensor rows)
    {
        for (int i = 0; i < keys.Length; i++)
        {
            if (keys[i] is null) continue;
            keys[i] = Swap(keys[i]!, keys[i]!.index_select(0, rows.to(keys[i]!.device)));
            values[i] = Swap(values[i]!, values[i]!.index_select(0, rows.to(values[i]!.device)));
        }
    }

    private static Tensor Replace(Tensor? old, Tensor added) =>
        old is null ? Swap(null, added.detach().clone()) : Swap(old, cat([old, added.detach()], 2));

    private static Tensor Swap(Tensor? old, Tensor next)
    {
        next.DetachFromDisposeScope();
        old?.Dispose();
        return next;
    }

    /// <summary>Frees the cached tensors.</summary>
    public void Dispose()
    {
        for (int i = 0; i < keys.Length; i++)
        {
            keys[i]?.Dispose(); values[i]?.Dispose();
            keys[i] = values[i] = null;
        }
    }
}
