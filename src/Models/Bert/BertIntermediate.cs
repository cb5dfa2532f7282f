using MLNet.Transformers.Inference;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.Bert;

/// <summary>The feed-forward expansion H → intermediate with the configured activation (HF <c>BertIntermediate</c>).</summary>
internal sealed class BertIntermediate : nn.Module<Tensor, Tensor>
{
    private readonly Linear dense;
    private readonly string activation;

    /// <summary>Creates the block for <paramref name="config"/>.</summary>
    public BertIntermediate(BertConfig config) : base(nameof(BertIntermediate))
    {
        dense = nn.Linear(config.HiddenSize, config.IntermediateSize);
        activation = config.HiddenAct;
        RegisterComponents();
    }

    /// <summary>(B, T, H) → (B, T, intermediate).</summary>
    public override Tensor forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        return PackedBf16Linear.Call(dense, hidden, activation).MoveToOuterDisposeScope();   // dense then activation, fused under bf16 scoring
    }
}
