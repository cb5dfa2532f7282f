using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.Bert;

/// <summary>The stack of encoder layers (HF <c>BertEncoder</c>; keys <c>encoder.layer.{i}.…</c>).</summary>
internal sealed class BertEncoder : nn.Module
{
    private readonly ModuleList<BertLayer> layer;

    /// <summary>Creates <see cref="BertConfig.NumHiddenLayers"/> layers.</summary>
    public BertEncoder(BertConfig config) : base(nameof(BertEncoder))
    {
        layer = nn.ModuleList(Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new BertLayer(config)).ToArray());
        RegisterComponents();
    }

    /// <summary>(B, T, H) with a (B, 1, 1, T) boolean attend mask → (B, T, H).</summary>
    public Tensor forward(Tensor hidden, Tensor attendMask)
    {
        using var scope = NewDisposeScope();
        foreach (var l in layer)
            hidden = l.forward(hidden, attendMask);
        return hidden.MoveToOuterDisposeScope();
    }
}
