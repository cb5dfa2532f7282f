using MLNet.Transformers.Inference;
using MLNet.Transformers.Models.Common;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.Bert;

/// <summary>Feed-forward contraction intermediate → H, dropout, post-LN residual (HF <c>BertOutput</c>).</summary>
internal sealed class BertOutput : nn.Module
{
    private readonly Linear dense;
    private readonly LayerNorm LayerNorm;
    private readonly MixedPrecisionDropout dropout;

    /// <summary>Creates the block for <paramref name="config"/>.</summary>
    public BertOutput(BertConfig config) : base(nameof(BertOutput))
    {
        dense = nn.Linear(config.IntermediateSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        dropout = new MixedPrecisionDropout(config.HiddenDropoutProb);
        RegisterComponents();
    }

    /// <summary>(B, T, intermediate) and the residual input (B, T, H) → (B, T, H).</summary>
    public Tensor forward(Tensor intermediate, Tensor input)
    {
        using var scope = NewDisposeScope();
        return LayerNorm.call(dropout.call(PackedBf16Linear.Call(dense, intermediate)) + input).MoveToOuterDisposeScope();
    }
}
