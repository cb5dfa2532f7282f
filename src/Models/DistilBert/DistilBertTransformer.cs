using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.DistilBert;

/// <summary>
/// The layer stack: HF distilbert <c>Transformer</c> (renamed here so it does not read as an ML.NET transformer; the field
/// names, hence the keys <c>transformer.layer.{i}.…</c>, are HF's).
/// </summary>
internal sealed class DistilBertTransformer : nn.Module
{
    private readonly ModuleList<DistilBertTransformerBlock> layer;

    /// <summary>Creates <see cref="DistilBertConfig.NLayers"/> layers.</summary>
    public DistilBertTransformer(DistilBertConfig config) : base(nameof(DistilBertTransformer))
    {
        layer = nn.ModuleList(Enumerable.Range(0, config.NLayers).Select(_ => new DistilBertTransformerBlock(config)).ToArray());
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
