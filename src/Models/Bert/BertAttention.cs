using static TorchSharp.torch;

namespace MLNet.Transformers.Models.Bert;

/// <summary>Self-attention followed by its output projection and residual LayerNorm (HF <c>BertAttention</c>).</summary>
internal sealed class BertAttention : nn.Module
{
    private readonly BertSelfAttention self;
    private readonly BertSelfOutput output;

    /// <summary>Creates the block for <paramref name="config"/>.</summary>
    public BertAttention(BertConfig config) : base(nameof(BertAttention))
    {
        self = new BertSelfAttention(config);
        output = new BertSelfOutput(config);
        RegisterComponents();
    }

    /// <summary>(B, T, H) with a (B, 1, 1, T) boolean attend mask → (B, T, H).</summary>
    public Tensor forward(Tensor hidden, Tensor attendMask)
    {
        using var scope = NewDisposeScope();
        return output.forward(self.forward(hidden, attendMask), hidden).MoveToOuterDisposeScope();
    }
}
