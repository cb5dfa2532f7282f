using MLNet.Transformers.Models.Bert;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.Roberta;

/// <summary>
/// RoBERTa with the extractive-QA head (HF <c>RobertaForQuestionAnswering</c>: keys <c>roberta.…</c> without a pooler,
/// <c>qa_outputs.…</c>): one linear layer giving every token a start and an end score.
/// </summary>
public sealed class RobertaForQuestionAnswering : QuestionAnsweringModel
{
    private readonly RobertaModel roberta;
    private readonly Linear qa_outputs;

    /// <summary>Creates the model.</summary>
    public RobertaForQuestionAnswering(BertConfig config) : base(nameof(RobertaForQuestionAnswering))
    {
        roberta = new RobertaModel(config, addPoolingLayer: false);
        qa_outputs = nn.Linear(config.HiddenSize, 2);
        RegisterComponents();
    }

    /// <summary>The encoder.</summary>
    public RobertaModel Roberta => roberta;

    /// <inheritdoc/>
    public override int MaxPositions => roberta.MaxPositions;

    /// <summary>HF <c>RobertaForQuestionAnswering</c> layout: keys <c>roberta.…</c> (no pooler) and <c>qa_outputs.…</c>.</summary>
    public override void SaveCheckpoint(string directory) => RobertaCheckpoint.Save(this, roberta.Config, directory, nameof(RobertaForQuestionAnswering));

    /// <summary>(B, T) ids, segment ids and mask → start and end logits (B, T).</summary>
    public override SpanLogits forward(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        var logits = qa_outputs.call(roberta.forward(inputIds, tokenTypeIds, attentionMask).LastHiddenState); // (B, T, 2)
        var parts = logits.split(1, dim: -1);
        return new SpanLogits(parts[0].squeeze(-1).MoveToOuterDisposeScope(), parts[1].squeeze(-1).MoveToOuterDisposeScope());
    }
}
