using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.Bert;

/// <summary>
/// Hugging Face's <c>BertPreTrainedModel._init_weights</c>: linear and embedding weights ~ N(0, initializer_range),
/// biases 0, LayerNorm weight 1 / bias 0, the [PAD] embedding row 0. Used for models trained from scratch and for
/// new task heads. Deterministic given <c>torch.manual_seed</c>.
/// </summary>
public static class BertInitializer
{
    /// <summary>Re-initialises every parameter of <paramref name="model"/> (any BERT module) for <paramref name="config"/>.</summary>
    public static void Initialize(nn.Module model, BertConfig config)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var (name, module) in model.named_modules())
        {
            switch (module)
            {
                case Linear linear:
                    linear.weight!.normal_(0, config.InitializerRange);
                    linear.bias?.zero_();
                    break;
                case Embedding embedding:
                    embedding.weight!.normal_(0, config.InitializerRange);
                    if (name.EndsWith("word_embeddings", StringComparison.Ordinal))
                        embedding.weight[config.PadTokenId].zero_();
                    break;
                case LayerNorm norm:
                    norm.weight!.fill_(1.0);
                    norm.bias?.zero_();
                    break;
            }
        }
        // The MLM head's output bias is a bare parameter (cls.predictions.bias): HF starts it at zero.
        foreach (var (name, parameter) in model.named_parameters())
            if (name.EndsWith("predictions.bias", StringComparison.Ordinal)) parameter.zero_();
    }
}
