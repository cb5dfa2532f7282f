using MLNet.Transformers.Models.Common;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.T5;

/// <summary>Pre-norm residual self-attention (HF <c>T5LayerSelfAttention</c>): x + dropout(SelfAttention(layer_norm(x))).</summary>
internal sealed class T5LayerSelfAttention : nn.Module
{
    private readonly T5Attention SelfAttention;
    private readonly T5LayerNorm layer_norm;
    private readonly MixedPrecisionDropout dropout;

    /// <summary>Creates the sub-layer; <paramref name="hasRelativeAttentionBias"/> only in block 0.</summary>
    public T5LayerSelfAttention(T5Config config, bool hasRelativeAttentionBias) : base(nameof(T5LayerSelfAttention))
    {
        SelfAttention = new T5Attention(config, hasRelativeAttentionBias);
        layer_norm = new T5LayerNorm(config.DModel, config.LayerNormEpsilon);
        dropout = new MixedPrecisionDropout(config.DropoutRate);
        RegisterComponents();
    }

    /// <summary>The attention, for the stack to compute the shared position bias from block 0.</summary>
    public T5Attention Attention => SelfAttention;

    /// <summary>
    /// Self-attention over <paramref name="hidden"/> (B, T, d). With a <paramref name="cache"/> (decoder generation) the new
    /// keys/values are appended to layer <paramref name="layerIndex"/>'s cached ones and the queries attend to all of them.
    /// </summary>
    public Tensor forward(Tensor hidden, Tensor positionBias, T5DecoderCache? cache = null, int layerIndex = 0)
    {
        using var scope = NewDisposeScope();
        var normed = layer_norm.call(hidden);
        var (keys, values) = SelfAttention.ProjectKeysValues(normed);
        if (cache is not null) (keys, values) = cache.AppendSelf(layerIndex, keys, values);
        var attended = SelfAttention.forward(normed, keys, values, positionBias);
        return (hidden + dropout.call(attended)).MoveToOuterDisposeScope();
    }
}
