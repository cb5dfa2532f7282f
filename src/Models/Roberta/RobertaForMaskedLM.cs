using MLNet.Transformers.Models.Bert;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.Roberta;

/// <summary>RoBERTa with its masked-LM head (HF <c>RobertaForMaskedLM</c>: keys <c>roberta.…</c> without a pooler, <c>lm_head.…</c>).</summary>
internal sealed class RobertaForMaskedLM : nn.Module, IMaskedLanguageModel
{
    private readonly RobertaModel roberta;
    private readonly RobertaLMHead lm_head;

    /// <summary>Creates the model.</summary>
    public RobertaForMaskedLM(BertConfig config) : base(nameof(RobertaForMaskedLM))
    {
        roberta = new RobertaModel(config, addPoolingLayer: false);
        lm_head = new RobertaLMHead(config);
        RegisterComponents();
    }

    /// <summary>The encoder.</summary>
    public RobertaModel Roberta => roberta;

    /// <inheritdoc/>
    public int MaxPositions => roberta.MaxPositions;

    /// <inheritdoc/>
    public Tensor forward(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask, Tensor? maskedPositions = null)
    {
        using var scope = NewDisposeScope();
        var hidden = roberta.forward(inputIds, tokenTypeIds, attentionMask).LastHiddenState;  // (B, T, H)
        if (maskedPositions is not null) hidden = hidden[maskedPositions];                   // (N, H)
        return lm_head.forward(hidden, roberta.WordEmbeddingWeight).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public void SaveCheckpoint(string directory) => RobertaCheckpoint.Save(this, roberta.Config, directory, nameof(RobertaForMaskedLM));
}
