using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.T5;

/// <summary>
/// One T5 block (HF <c>T5Block</c>): <c>layer.0</c> self-attention, in the decoder <c>layer.1</c> cross-attention,
/// then the feed-forward as the last layer. The list index is the checkpoint key, so the layers live in one ModuleList.
/// </summary>
internal sealed class T5Block : nn.Module
{
    private readonly ModuleList<nn.Module> layer;

    /// <summary>Creates an encoder block or, with <paramref name="isDecoder"/>, a decoder block.</summary>
    public T5Block(T5Config config, bool isDecoder, bool hasRelativeAttentionBias) : base(nameof(T5Block))
    {
        layer = nn.ModuleList<nn.Module>(new T5LayerSelfAttention(config, hasRelativeAttentionBias));
        if (isDecoder) layer.append(new T5LayerCrossAttention(config));
        layer.append(new T5LayerFF(config));
        RegisterComponents();
    }

    /// <summary>Self-attention sub-layer (its attention owns the relative-position table in block 0).</summary>
    public T5LayerSelfAttention SelfAttentionLayer => (T5LayerSelfAttention)layer[0];
    /// <summary>Cross-attention sub-layer; only decoder blocks have one.</summary>
    public T5LayerCrossAttention CrossAttentionLayer => (T5LayerCrossAttention)layer[1];
    private T5LayerFF FeedForward => (T5LayerFF)layer[layer.Count - 1];

    /// <summary>An encoder block over (B, T, d) with the stack's position bias (B or 1, nh, T, T).</summary>
    public Tensor forward(Tensor hidden, Tensor positionBias)
    {
        using var scope = NewDisposeScope();
        return FeedForward.forward(SelfAttentionLayer.forward(hidden, positionBias)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// A decoder block: causal self-attention (appending to <paramref name="cache"/> when given), cross-attention to the
    /// encoder keys/values, feed-forward.
    /// </summary>
    public Tensor forward(Tensor hidden, Tensor selfBias, Tensor encoderKeys, Tensor encoderValues, Tensor encoderBias,
        T5DecoderCache? cache, int layerIndex)
    {
        using var scope = NewDisposeScope();
        var h = SelfAttentionLayer.forward(hidden, selfBias, cache, layerIndex);
        h = CrossAttentionLayer.forward(h, encoderKeys, encoderValues, encoderBias);
        return FeedForward.forward(h).MoveToOuterDisposeScope();
    }
}
