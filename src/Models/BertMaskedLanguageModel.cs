using MLNet.Transformers.Models.Bert;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models;

/// <summary>
/// BERT's pretraining model seen as an <see cref="IMaskedLanguageModel"/> (its MLM logits; the NSP head, if any, is run
/// by <see cref="BertForPreTraining.forward"/> and ignored), so fill-mask treats every family alike. Not a module: the
/// wrapped <see cref="BertForPreTraining"/> owns the weights.
/// </summary>
internal sealed class BertMaskedLanguageModel(BertForPreTraining model) : IMaskedLanguageModel
{
    /// <summary>The wrapped model.</summary>
    public BertForPreTraining Model => model;

    /// <inheritdoc/>
    public int MaxPositions => model.Config.MaxPositionEmbeddings;

    /// <inheritdoc/>
    public Tensor forward(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask, Tensor? maskedPositions = null)
    {
        using var scope = NewDisposeScope();
        return model.forward(inputIds, tokenTypeIds, attentionMask, maskedPositions).PredictionLogits.MoveToOuterDisposeScope();
    }

    /// <summary>HF <c>BertForPreTraining</c> layout, or <c>BertForMaskedLM</c> without the NSP head.</summary>
    public void SaveCheckpoint(string directory) =>
        BertCheckpoint.Save(model, model.Config, directory, model.HasNextSentencePrediction ? "BertForPreTraining" : "BertForMaskedLM");
}
