using MLNet.Transformers.Models.Common;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.T5;

/// <summary>T5 1.0's feed-forward (HF <c>T5DenseActDense</c>): wo(dropout(act(wi(x)))), no biases; ReLU in t5-small.</summary>
internal sealed class T5DenseActDense : nn.Module<Tensor, Tensor>
{
    private readonly Linear wi;
    private readonly Linear wo;
    private readonly MixedPrecisionDropout dropout;
    private readonly string activation;

    /// <summary>Creates wi (d_model → d_ff) and wo (d_ff → d_model).</summary>
    public T5DenseActDense(T5Config config) : base(nameof(T5DenseActDense))
    {
        wi = nn.Linear(config.DModel, config.DFf, hasBias: false);
        wo = nn.Linear(config.DFf, config.DModel, hasBias: false);
        dropout = new MixedPrecisionDropout(config.DropoutRate);
        activation = config.FeedForwardActivation;
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        var inner = dropout.call(Activations.Apply(activation, wi.call(hidden)));
        return wo.call(inner.to(wo.weight.dtype)).MoveToOuterDisposeScope();
    }
}
