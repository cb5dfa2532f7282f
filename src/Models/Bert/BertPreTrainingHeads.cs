using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.Bert;

/// <summary>
/// The pretraining heads under the <c>cls.</c> prefix (HF <c>BertPreTrainingHeads</c>): the MLM head <c>predictions</c> and,
/// when next-sentence prediction is wanted, the 2-way <c>seq_relationship</c> classifier over the pooled output.
/// Without NSP the keys are exactly HF's <c>BertOnlyMLMHead</c> (used by <c>BertForMaskedLM</c>).
/// </summary>
internal sealed class BertPreTrainingHeads : nn.Module
{
    private readonly BertLMPredictionHead predictions;
    private readonly Linear? seq_relationship;

    /// <summary>Creates the MLM head and, if <paramref name="withNextSentencePrediction"/>, the NSP head.</summary>
    public BertPreTrainingHeads(BertConfig config, bool withNextSentencePrediction) : base(nameof(BertPreTrainingHeads))
    {
        predictions = new BertLMPredictionHead(config);
        seq_relationship = withNextSentencePrediction ? nn.Linear(config.HiddenSize, 2) : null;
        RegisterComponents();
    }

    /// <summary>Whether the NSP head exists.</summary>
    public bool HasNextSentencePrediction => seq_relationship is not null;

    /// <summary>MLM logits (…, V) for hidden states (…, H).</summary>
    public Tensor PredictTokens(Tensor hidden, Tensor wordEmbeddingWeight) => predictions.forward(hidden, wordEmbeddingWeight);

    /// <summary>NSP logits (B, 2) for pooled outputs (B, H); index 0 = "B follows A", 1 = "B is random" (HF's convention).</summary>
    public Tensor PredictNextSentence(Tensor pooled)
    {
        if (seq_relationship is null)
            throw new InvalidOperationException("This model was built without the next-sentence-prediction head (cls.seq_relationship).");
        return seq_relationship.call(pooled);
    }
}
