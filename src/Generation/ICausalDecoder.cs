using static TorchSharp.torch;

namespace MLNet.Transformers.Generation;

/// <summary>
/// What the generation loop needs from a decoder: logits for the next position given the new tokens, the attention mask
/// of everything so far and, optionally, a cache of what was already computed. GPT-2 implements it; an encoder-decoder
/// (T5) implements it with the encoder output captured in its cache.
/// </summary>
internal interface ICausalDecoder
{
    /// <summary>Size of the output distribution.</summary>
    int VocabularySize { get; }

    /// <summary>A fresh, empty cache for one generation call.</summary>
    IDecoderCache CreateCache();

    /// <summary>
    /// Logits (B, V, float32) of the token after the last of <paramref name="inputIds"/> (B, T). Without a cache
    /// <paramref name="inputIds"/> is the whole sequence; with one it holds only positions the cache has not seen
    /// (the cache is extended). <paramref name="attentionMask"/> (B, cached + T) is 1 for real tokens, 0 for padding.
    /// </summary>
    Tensor NextTokenLogits(Tensor inputIds, Tensor attentionMask, IDecoderCache? cache);

    /// <summary>Longest sequence (prompt + generated) the decoder can run (GPT-2: <c>n_positions</c>); null = no limit of its own.</summary>
    int? MaxSequenceLength => null;

    /// <summary>
    /// Bytes the cache holds for one row after <paramref name="positions"/> positions (the loop's memory estimate before it
    /// allocates anything); 0 = unknown.
    /// </summary>
    long CacheBytesPerRow(int positions) => 0;

    /// <summary>
    /// Bytes one attention layer holds at its peak for one row while <paramref name="queries"/> positions attend
    /// <paramref name="keys"/> positions (heads × queries × keys scores and their softmax); 0 = unknown. Layers run one after
    /// another, so this is not multiplied by the number of layers.
    /// </summary>
    long AttentionBytesPerRow(int queries, int keys) => 0;
}
