using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.Bert;

/// <summary>dense → activation → LayerNorm before the MLM decoder (HF <c>BertPredictionHeadTransform</c>).</summary>
internal sealed class BertPredictionHeadTransform : nn.Module<Tensor, Tensor>
{
    private readonly Linear dense;
    private readonly LayerNorm LayerNorm;
    private readonly string activation;

    /// <summary>Creates the transform for <paramref name="config"/>.</summary>
    public BertPredictionHeadTransform(BertConfig config) : base(nameof(BertPredictionHeadTransform))
    {
        dense = nn.Linear(config.HiddenSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        activation = config.HiddenAct;
        RegisterComponents();
    }

    /// <summary>(…, H) → (…, H).</summary>
    public override Tensor forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        return LayerNorm.call(Activations.Apply(activation, dense.call(hidden))).MoveToOuterDisposeScope();
    }
}
