using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.Gpt2;

/// <summary>
/// HF's <c>GPT2PreTrainedModel._init_weights</c>: Conv1D/Linear/Embedding weights ~ N(0, initializer_range), biases 0,
/// LayerNorm 1/0, and the residual projections (<c>c_proj</c>) ~ N(0, initializer_range/√(2·n_layer)) — GPT-2's scaled
/// init, so the residual stream's variance does not grow with depth. Deterministic given <c>torch.manual_seed</c>.
/// </summary>
internal static class Gpt2Initializer
{
    /// <summary>Re-initialises every parameter of <paramref name="model"/>.</summary>
    public static void Initialize(nn.Module model, Gpt2Config config)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var (name, parameter) in model.named_parameters())
        {
            bool isNorm = name.Contains(".ln_", StringComparison.Ordinal) || name.StartsWith("ln_", StringComparison.Ordinal);
            if (isNorm) { if (name.EndsWith("weight", StringComparison.Ordinal)) parameter.fill_(1.0); else parameter.zero_(); }
            else if (name.EndsWith("bias", StringComparison.Ordinal)) parameter.zero_();
            else if (name.EndsWith("c_proj.weight", StringComparison.Ordinal)) parameter.normal_(0, config.InitializerRange / Math.Sqrt(2.0 * config.NLayer));
            else parameter.normal_(0, config.InitializerRange);
        }
    }
}
