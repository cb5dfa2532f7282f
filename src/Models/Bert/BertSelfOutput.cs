using MLNet.Transformers.Inference;
using MLNet.Transformers.Models.Common;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.Bert;

/// <summary>Projection after attention, dropout, then post-LN residual: LayerNorm(x + input). HF <c>BertSelfOutput</c>.</summary>
internal sealed class BertSelfOutput : nn.Module
{
    private readonly Linear dense;
    private readonly LayerNorm LayerNorm;
    private readonly MixedPrecisionDropout dropout;

    /// <summary>Creates the block for <paramref name="config"/>.</summary>
    public BertSelfOutput(BertConfig config) : base(nameof(BertSelfOutput))
    {
        dense = nn.Linear(config.HiddenSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        dropout = new MixedPrecisionDropout(config.HiddenDropoutProb);
        RegisterComponents();
    }

    /// <summary>(B, T, H) attention context and the block's input (B, T, H) → (B, T, H).</summary>
    public Tensor forward(Tensor context, Tensor input)
    {
        using var scope = NewDisposeScope();
        return LayerNorm.call(dropout.call(PackedBf16Linear.Call(dense, context)) + input).MoveToOuterDisposeScope();
    }
}
