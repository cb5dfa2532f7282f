using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.DistilBert;

/// <summary>
/// One post-LN DistilBERT layer (HF <c>TransformerBlock</c>): sa_layer_norm(attention(x) + x), then
/// output_layer_norm(ffn(h) + h). HF applies no dropout to the attention output here, only inside the FFN.
/// </summary>
internal sealed class DistilBertTransformerBlock : nn.Module
{
    private readonly MultiHeadSelfAttention attention;
    private readonly LayerNorm sa_layer_norm;
    private readonly FFN ffn;
    private readonly LayerNorm output_layer_norm;

    /// <summary>Creates the layer for <paramref name="config"/>.</summary>
    public DistilBertTransformerBlock(DistilBertConfig config) : base(nameof(DistilBertTransformerBlock))
    {
        attention = new MultiHeadSelfAttention(config);
        sa_layer_norm = nn.LayerNorm(config.Dim, config.LayerNormEps);
        ffn = new FFN(config);
        output_layer_norm = nn.LayerNorm(config.Dim, config.LayerNormEps);
        RegisterComponents();
    }

    /// <summary>(B, T, D) with a (B, 1, 1, T) boolean attend mask → (B, T, D).</summary>
    public Tensor forward(Tensor x, Tensor attendMask)
    {
        using var scope = NewDisposeScope();
        var h = sa_layer_norm.call(attention.forward(x, attendMask) + x);
        return output_layer_norm.call(ffn.call(h) + h).MoveToOuterDisposeScope();
    }
}
