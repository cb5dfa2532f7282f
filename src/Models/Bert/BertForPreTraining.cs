using static TorchSharp.torch;

namespace MLNet.Transformers.Models.Bert;

/// <summary>Outputs of <see cref="BertForPreTraining"/>.</summary>
/// <param name="Encoder">The encoder's outputs.</param>
/// <param name="PredictionLogits">(B, T, V) MLM logits, or (N, V) at the selected positions.</param>
/// <param name="SeqRelationshipLogits">(B, 2) NSP logits, or null without the NSP head.</param>
public sealed record BertPreTrainingOutput(EncoderOutput Encoder, Tensor PredictionLogits, Tensor? SeqRelationshipLogits);

/// <summary>
/// BERT with its pretraining heads (HF <c>BertForPreTraining</c>, or <c>BertForMaskedLM</c> when built without NSP):
/// keys <c>bert.…</c> and <c>cls.…</c>.
/// </summary>
public sealed class BertForPreTraining : nn.Module
{
    private readonly BertModel bert;
    private readonly BertPreTrainingHeads cls;

    /// <summary>Creates the model; the pooler is built only with NSP, which is its only user here (as HF's BertForMaskedLM).</summary>
    public BertForPreTraining(BertConfig config, bool withNextSentencePrediction = true) : base(nameof(BertForPreTraining))
    {
        bert = new BertModel(config, addPoolingLayer: withNextSentencePrediction);
        cls = new BertPreTrainingHeads(config, withNextSentencePrediction);
        RegisterComponents();
    }

    /// <summary>The encoder.</summary>
    public BertModel Bert => bert;

    /// <summary>The configuration.</summary>
    public BertConfig Config => bert.Config;

    /// <summary>Whether the model has the NSP head.</summary>
    public bool HasNextSentencePrediction => cls.HasNextSentencePrediction;

    /// <summary>
    /// Runs the encoder and heads. If <paramref name="maskedPositions"/> (boolean (B, T)) is given, MLM logits are computed
    /// only where it is true, as (N, V) in row-major order; this is what makes MLM training affordable with a 30k vocabulary.
    /// </summary>
    public BertPreTrainingOutput forward(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask, Tensor? maskedPositions = null)
    {
        using var scope = NewDisposeScope();
        var encoded = bert.forward(inputIds, tokenTypeIds, attentionMask);
        var hidden = maskedPositions is null ? encoded.LastHiddenState : encoded.LastHiddenState[maskedPositions];
        var logits = cls.PredictTokens(hidden, bert.WordEmbeddingWeight);
        var nsp = cls.HasNextSentencePrediction ? cls.PredictNextSentence(encoded.PoolerOutput!) : null;
        return new BertPreTrainingOutput(
            new EncoderOutput(encoded.LastHiddenState.MoveToOuterDisposeScope(), encoded.PoolerOutput?.MoveToOuterDisposeScope()),
            logits.MoveToOuterDisposeScope(), nsp?.MoveToOuterDisposeScope());
    }
}
