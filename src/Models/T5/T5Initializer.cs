using static TorchSharp.torch;

namespace MLNet.Transformers.Models.T5;

/// <summary>
/// HF's <c>T5PreTrainedModel._init_weights</c> for training from scratch: normal weights whose standard deviations make
/// the unscaled attention scores and the tied, d_model^-0.5-scaled head well-conditioned. Uses torch's global generator
/// (seed it first for reproducible models).
/// </summary>
public static class T5Initializer
{
    /// <summary>Re-initialises every parameter of <paramref name="model"/> in place.</summary>
    public static void Initialize(T5ForConditionalGeneration model)
    {
        var c = model.Config;
        double f = c.InitializerFactor;
        using var noGrad = no_grad();
        foreach (var (name, p) in model.named_parameters())
        {
            double? std = Leaf(name) switch
            {
                "layer_norm.weight" or "final_layer_norm.weight" => null,
                "shared.weight" or "lm_head.weight" => f * 1.0,
                "q.weight" => f * Math.Pow(c.DModel * c.DKv, -0.5),
                "k.weight" or "v.weight" => f * Math.Pow(c.DModel, -0.5),
                "o.weight" => f * Math.Pow(c.NumHeads * c.DKv, -0.5),
                "relative_attention_bias.weight" => f * Math.Pow(c.DModel, -0.5),
                "wi.weight" or "wi_0.weight" or "wi_1.weight" => f * Math.Pow(c.DModel, -0.5),
                "wo.weight" => f * Math.Pow(c.DFf, -0.5),
                _ => throw new InvalidOperationException($"T5Initializer does not know parameter '{name}'."),
            };
            if (std is { } s) nn.init.normal_(p, 0, s);
            else nn.init.constant_(p, f);
        }
    }

    // "encoder.block.0.layer.0.SelfAttention.q.weight" → "q.weight"; "encoder.final_layer_norm.weight" → itself's leaf.
    private static string Leaf(string name)
    {
        var parts = name.Split('.');
        return parts.Length >= 2 ? $"{parts[^2]}.{parts[^1]}" : name;
    }
}
