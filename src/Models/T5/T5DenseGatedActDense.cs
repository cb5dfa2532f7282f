using MLNet.Transformers.Models.Common;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.T5;

/// <summary>
/// T5 1.1 / flan-t5's gated feed-forward (HF <c>T5DenseGatedActDense</c>): wo(dropout(act(wi_0(x)) · wi_1(x))),
/// with gelu_new for <c>feed_forward_proj = "gated-gelu"</c>.
/// </summary>
internal sealed class T5DenseGatedActDense : nn.Module<Tensor, Tensor>
{
    private readonly Linear wi_0;
    private readonly Linear wi_1;
    private readonly Linear wo;
    private readonly MixedPrecisionDropout dropout;
    private readonly string activation;

    /// <summary>Creates the gate (wi_0), the linear branch (wi_1) and wo.</summary>
    public T5DenseGatedActDense(T5Config config) : base(nameof(T5DenseGatedActDense))
    {
        wi_0 = nn.Linear(config.DModel, config.DFf, hasBias: false);
        wi_1 = nn.Linear(config.DModel, config.DFf, hasBias: false);
        wo = nn.Linear(config.DFf, config.DModel, hasBias: false);
        dropout = new MixedPrecisionDropout(config.DropoutRate);
        activation = config.FeedForwardActivation;
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        var gated = Activations.Apply(activation, wi_0.call(hidden)) * wi_1.call(hidden);
        return wo.call(dropout.call(gated).to(wo.weight.dtype)).MoveToOuterDisposeScope();
    }
}
