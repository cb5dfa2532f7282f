using MLNet.Transformers.Models.Bert;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.Roberta;

/// <summary>
/// RoBERTa's masked-LM head (HF <c>RobertaLMHead</c>, keys <c>lm_head.dense</c>, <c>lm_head.layer_norm</c>, <c>lm_head.bias</c>):
/// dense → GELU (always, whatever hidden_act says) → LayerNorm → decoder tied to the word embeddings, plus a bias.
/// The decoder is not a parameter of its own, so <c>lm_head.decoder.*</c> is neither needed nor saved (as HF).
/// </summary>
internal sealed class RobertaLMHead : nn.Module
{
    private readonly Linear dense;
    private readonly LayerNorm layer_norm;
    private readonly Parameter bias;

    /// <summary>Creates the head for <paramref name="config"/>.</summary>
    public RobertaLMHead(BertConfig config) : base(nameof(RobertaLMHead))
    {
        dense = nn.Linear(config.HiddenSize, config.HiddenSize);
        layer_norm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        bias = new Parameter(zeros(config.VocabSize));
        RegisterComponents();
    }

    /// <summary>(…, H) and the tied (V, H) word embeddings → (…, V) logits.</summary>
    public Tensor forward(Tensor hidden, Tensor wordEmbeddingWeight)
    {
        using var scope = NewDisposeScope();
        var x = layer_norm.call(nn.functional.gelu(dense.call(hidden)));
        return nn.functional.linear(x, wordEmbeddingWeight, bias).MoveToOuterDisposeScope();
    }
}
