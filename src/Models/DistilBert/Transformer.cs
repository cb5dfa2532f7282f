using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.DistilBert;

/// <summary>The layer stack (HF distilbert <c>Transformer</c>; keys <c>transformer.layer.{i}.…</c>).</summary>
public sealed class Transformer : nn.Module
{
    private readonly ModuleList<TransformerBlock> layer;

    /// <summary>Creates <see cref="DistilBertConfig.NLayers"/> layers.</summary>
    public Transformer(DistilBertConfig config) : base(nameof(Transformer))
    {
        layer = nn.ModuleList(Enumerable.Range(0, config.NLayers).Select(_ => new TransformerBlock(config)).ToArray());
        RegisterComponents();
    }

    /// <summary>(B, T, D) with a (B, 1, 1, T) boolean attend mask → (B, T, D).</summary>
    public Tensor forward(Tensor x, Tensor attendMask)
    {
        using var scope = NewDisposeScope();
        foreach (var block in layer) x = block.forward(x, attendMask);
        return x.MoveToOuterDisposeScope();
    }
}
