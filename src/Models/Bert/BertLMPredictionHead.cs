using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.Bert;

/// <summary>
/// The masked-LM head (HF <c>BertLMPredictionHead</c>): transform, then a decoder whose weight is the word-embedding
/// matrix (tied, so it is not a parameter of its own and HF does not save it) plus a per-token bias.
/// </summary>
internal sealed class BertLMPredictionHead : nn.Module
{
    private readonly BertPredictionHeadTransform transform;
    private readonly Parameter bias;

    /// <summary>Creates the head for <paramref name="config"/>.</summary>
    public BertLMPredictionHead(BertConfig config) : base(nameof(BertLMPredictionHead))
    {
        transform = new BertPredictionHeadTransform(config);
        bias = new Parameter(zeros(config.VocabSize));
        RegisterComponents();
    }

    /// <summary>(…, H) hidden states and the tied (V, H) word embeddings → (…, V) logits.</summary>
    public Tensor forward(Tensor hidden, Tensor wordEmbeddingWeight)
    {
        using var scope = NewDisposeScope();
        return nn.functional.linear(transform.call(hidden), wordEmbeddingWeight, bias).MoveToOuterDisposeScope();
    }
}
