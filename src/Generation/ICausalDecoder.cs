using MLNet.Transformers.Models.Gpt2;
using static TorchSharp.torch;

namespace MLNet.Transformers.Generation;

/// <summary>
/// What the generation loop needs from a decoder: logits for the next position given the new tokens, the attention mask
/// of everything so far and, optionally, a cache of what was already computed. GPT-2 implements it; an encoder-decoder
/// (T5) implements it with the encoder output captured in its cache.
/// </summary>
public interface ICausalDecoder
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
}
