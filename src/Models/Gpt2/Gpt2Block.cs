using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.Gpt2;

/// <summary>A pre-LN transformer block (HF <c>GPT2Block</c>): x + attn(ln_1(x)), then x + mlp(ln_2(x)).</summary>
internal sealed class Gpt2Block : nn.Module
{
    private readonly LayerNorm ln_1;
    private readonly Gpt2Attention attn;
    private readonly LayerNorm ln_2;
    private readonly Gpt2Mlp mlp;
    private readonly int layer;

    /// <summary>Creates block number <paramref name="layer"/> for <paramref name="config"/>.</summary>
    public Gpt2Block(Gpt2Config config, int layer) : base(nameof(Gpt2Block))
    {
        ln_1 = nn.LayerNorm(config.NEmbd, config.LayerNormEpsilon);
        attn = new Gpt2Attention(config);
        ln_2 = nn.LayerNorm(config.NEmbd, config.LayerNormEpsilon);
        mlp = new Gpt2Mlp(config);
        this.layer = layer;
        RegisterComponents();
    }

    /// <summary>(B, T, C) → (B, T, C); see <see cref="Gpt2Attention.forward"/> for the other arguments.</summary>
    public Tensor forward(Tensor x, Tensor attend, (Tensor Cos, Tensor Sin)? rotary, KeyValueCache? cache)
    {
        using var scope = NewDisposeScope();
        x = x + attn.forward(ln_1.call(x), attend, rotary, cache, layer);
        x = x + mlp.call(ln_2.call(x));
        return x.MoveToOuterDisposeScope();
    }
}
