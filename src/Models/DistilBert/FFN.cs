using MLNet.Transformers.Inference;
using MLNet.Transformers.Models.Common;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.DistilBert;

/// <summary>DistilBERT's feed-forward block (HF <c>FFN</c>): lin1 → activation → lin2 → dropout.</summary>
internal sealed class FFN : nn.Module<Tensor, Tensor>
{
    private readonly Linear lin1;
    private readonly Linear lin2;
    private readonly MixedPrecisionDropout dropout;
    private readonly string activation;

    /// <summary>Creates the block for <paramref name="config"/>.</summary>
    public FFN(DistilBertConfig config) : base(nameof(FFN))
    {
        lin1 = nn.Linear(config.Dim, config.HiddenDim);
        lin2 = nn.Linear(config.HiddenDim, config.Dim);
        dropout = new MixedPrecisionDropout(config.Dropout);
        activation = config.Activation;
        RegisterComponents();
    }

    /// <summary>(B, T, D) → (B, T, D).</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return dropout.call(PackedBf16Linear.Call(lin2, PackedBf16Linear.Call(lin1, x, activation))).MoveToOuterDisposeScope();
    }
}
