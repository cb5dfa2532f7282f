using MLNet.Transformers.Models.Common;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.T5;

/// <summary>
/// Pre-norm residual feed-forward (HF <c>T5LayerFF</c>). HF names the sub-module <c>DenseReluDense</c> whatever its
/// activation or gating, so the key is the same for both variants.
/// </summary>
internal sealed class T5LayerFF : nn.Module
{
    private readonly nn.Module<Tensor, Tensor> DenseReluDense;
    private readonly T5LayerNorm layer_norm;
    private readonly MixedPrecisionDropout dropout;

    /// <summary>Creates the gated or plain feed-forward that <paramref name="config"/> names.</summary>
    public T5LayerFF(T5Config config) : base(nameof(T5LayerFF))
    {
        DenseReluDense = config.IsGatedFeedForward ? new T5DenseGatedActDense(config) : new T5DenseActDense(config);
        layer_norm = new T5LayerNorm(config.DModel, config.LayerNormEpsilon);
        dropout = new MixedPrecisionDropout(config.DropoutRate);
        RegisterComponents();
    }

    /// <summary>x + dropout(DenseReluDense(layer_norm(x))).</summary>
    public Tensor forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        return (hidden + dropout.call(DenseReluDense.call(layer_norm.call(hidden)))).MoveToOuterDisposeScope();
    }
}
