using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.Bert;

/// <summary>Start and end logits of an extractive answer span, each (B, T).</summary>
public sealed record SpanLogits(Tensor Start, Tensor End);

/// <summary>
/// BERT with the extractive-QA head: one linear layer giving each token a start and an end score
/// (HF <c>BertForQuestionAnswering</c>: keys <c>bert.…</c> without a pooler, <c>qa_outputs.…</c>).
/// </summary>
public sealed class BertForQuestionAnswering : QuestionAnsweringModel
{
    private readonly BertModel bert;
    private readonly Linear qa_outputs;

    /// <summary>Creates the model.</summary>
    public BertForQuestionAnswering(BertConfig config) : base(nameof(BertForQuestionAnswering))
    {
        bert = new BertModel(config, addPoolingLayer: false);
        qa_outputs = nn.Linear(config.HiddenSize, 2);
        RegisterComponents();
    }

    /// <summary>The encoder.</summary>
    public BertModel Bert => bert;

    /// <inheritdoc/>
    public override int MaxPositions => bert.Config.MaxPositionEmbeddings;

    /// <summary>HF <c>BertForQuestionAnswering</c> layout: keys <c>bert.…</c> (no pooler) and <c>qa_outputs.…</c>.</summary>
    public override void SaveCheckpoint(string directory) => BertCheckpoint.Save(this, bert.Config, directory, nameof(BertForQuestionAnswering));

    /// <summary>(B, T) ids, segment ids and mask → start and end logits (B, T).</summary>
    public override SpanLogits forward(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        var logits = qa_outputs.call(bert.forward(inputIds, tokenTypeIds, attentionMask).LastHiddenState); // (B, T, 2)
        var parts = logits.split(1, dim: -1);
        return new SpanLogits(parts[0].squeeze(-1).MoveToOuterDisposeScope(), parts[1].squeeze(-1).MoveToOuterDisposeScope());
    }
}
