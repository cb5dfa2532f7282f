using static TorchSharp.torch;

namespace MLNet.Transformers.Models.Bert;

/// <summary>One post-LN encoder layer: attention block then feed-forward block (HF <c>BertLayer</c>).</summary>
internal sealed class BertLayer : nn.Module
{
    private readonly BertAttention attention;
    private readonly BertIntermediate intermediate;
    private readonly BertOutput output;

    /// <summary>Creates the layer for <paramref name="config"/>.</summary>
    public BertLayer(BertConfig config) : base(nameof(BertLayer))
    {
        attention = new BertAttention(config);
        intermediate = new BertIntermediate(config);
        output = new BertOutput(config);
        RegisterComponents();
    }

    /// <summary>(B, T, H) with a (B, 1, 1, T) boolean attend mask → (B, T, H).</summary>
    public Tensor forward(Tensor hidden, Tensor attendMask)
    {
        using var scope = NewDisposeScope();
        var attended = attention.forward(hidden, attendMask);
        return output.forward(intermediate.call(attended), attended).MoveToOuterDisposeScope();
    }
}
