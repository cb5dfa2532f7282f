using static TorchSharp.torch;

namespace MLNet.Transformers.Generation;

/// <summary>
/// What a decoder keeps between generation steps. The generation loop only creates, reorders (beam search) and disposes it;
/// the decoder decides what it holds.
/// </summary>
internal interface IDecoderCache : IDisposable
{
    /// <summary>Positions already seen (the length of the cached keys).</summary>
    int Length { get; }

    /// <summary>Keeps rows <paramref name="rows"/> (int64, new batch order) — beam search's reordering.</summary>
    void Reorder(Tensor rows);
}
