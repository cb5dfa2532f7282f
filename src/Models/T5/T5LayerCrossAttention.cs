using MLNet.Transformers.Models.Common;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.T5;

/// <summary>
/// Pre-norm residual cross-attention of a decoder block to the encoder output (HF <c>T5LayerCrossAttention</c>).
/// It has no relative-position bias: the bias is only the encoder's padding mask.
/// </summary>
internal sealed class T5LayerCrossAttention : nn.Module
{
    private readonly T5Attention EncDecAttention;
    private readonly T5LayerNorm layer_norm;
    private readonly MixedPrecisionDropout dropout;

    /// <summary>Creates the sub-layer.</summary>
    public T5LayerCrossAttention(T5Config config) : base(nameof(T5LayerCrossAttention))
    {
        EncDecAttention = new T5Attention(config, hasRelativeAttentionBias: false);
        layer_norm = new T5LayerNorm(config.DModel, config.LayerNormEpsilon);
        dropout = new MixedPrecisionDropout(config.DropoutRate);
        RegisterComponents();
    }

    /// <summary>The encoder output's keys and values (B, nh, S, d_kv) — computed once per source and cached during generation.</summary>
    public (Tensor Keys, Tensor Values) ProjectEncoderOutput(Tensor encoderHidden) => EncDecAttention.ProjectKeysValues(encoderHidden);

    /// <summary>x + dropout(EncDecAttention(layer_norm(x), encoder keys/values)); <paramref name="encoderBias"/> is the (B, 1, 1, S) padding mask.</summary>
    public Tensor forward(Tensor hidden, Tensor encoderKeys, Tensor encoderValues, Tensor encoderBias)
    {
        using var scope = NewDisposeScope();
        var attended = EncDecAttention.forward(layer_norm.call(hidden), encoderKeys, encoderValues, encoderBias);
        return (hidden + dropout.call(attended)).MoveToOuterDisposeScope();
    }
}
