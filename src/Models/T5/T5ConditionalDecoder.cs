using MLNet.Transformers.Generation;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.T5;

/// <summary>
/// The T5 decoder conditioned on one batch of encoder outputs, seen by the shared generation loop as a causal decoder:
/// the "prompt" of every row is [decoder_start_token_id], and each step runs the decoder (with its self-attention and
/// cross-attention keys/values in a <see cref="T5DecoderCache"/>) against the encoder output computed once per source.
/// Beam search asks for <c>sources × beams</c> rows; the encoder output is repeated to match (row r reads source r / beams).
/// Does not own <paramref name="encoderHidden"/> or <paramref name="encoderMask"/>.
/// </summary>
/// <param name="model">The encoder-decoder.</param>
/// <param name="encoderHidden">Encoder output (B, S, d).</param>
/// <param name="encoderMask">Source attention mask (B, S), 1 = real token.</param>
internal sealed class T5ConditionalDecoder(T5ForConditionalGeneration model, Tensor encoderHidden, Tensor encoderMask) : ICausalDecoder
{
    /// <inheritdoc/>
    public int VocabularySize => model.Config.VocabSize;

    /// <inheritdoc/>
    public IDecoderCache CreateCache() => model.NewCache();

    /// <inheritdoc/>
    public long CacheBytesPerRow(int positions)
    {
        var c = model.Config;
        long sourceLength = encoderHidden.shape[1];
        // self-attention keys/values per position, cross-attention keys/values per source position, the repeated encoder output
        return sizeof(float) * (2L * c.DecoderLayers * c.InnerDim * (positions + sourceLength) + sourceLength * c.DModel);
    }

    /// <inheritdoc/>
    public long AttentionBytesPerRow(int queries, int keys)
    {
        // T5Attention: scores, scores + position bias, softmax; self-attention over the decoder's keys, cross over the source.
        long widest = Math.Max(keys, encoderHidden.shape[1]);
        return 3L * model.Config.NumHeads * queries * widest * sizeof(float);
    }

    /// <summary>
    /// Logits (R, V) of the next decoder token. <paramref name="attentionMask"/> is the decoder's own mask; every row starts
    /// from the same single start token, so it is never padded and the decoder's causal mask is all it needs.
    /// </summary>
    public Tensor NextTokenLogits(Tensor inputIds, Tensor attentionMask, IDecoderCache? cache)
    {
        using var scope = NewDisposeScope();
        long rows = inputIds.shape[0], sources = encoderHidden.shape[0];
        if (rows % sources != 0)
            throw new ArgumentException($"{rows} decoder rows do not divide into {sources} sources.", nameof(inputIds));
        var (hidden, mask) = rows == sources
            ? (encoderHidden, encoderMask)
            : (encoderHidden.repeat_interleave(rows / sources, dim: 0), encoderMask.repeat_interleave(rows / sources, dim: 0));
        var t5Cache = cache is null ? null : cache as T5DecoderCache
            ?? throw new ArgumentException($"Expected a {nameof(T5DecoderCache)}, got {cache.GetType().Name}.", nameof(cache));
        return model.DecodeNext(inputIds, hidden, mask, t5Cache).to(ScalarType.Float32).MoveToOuterDisposeScope();   // (R, V)
    }
}
