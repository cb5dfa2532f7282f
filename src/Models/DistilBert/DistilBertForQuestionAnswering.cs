using MLNet.Transformers.Models.Bert;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.DistilBert;

/// <summary>DistilBERT with the extractive-QA head (HF <c>DistilBertForQuestionAnswering</c>: keys <c>distilbert.…</c>, <c>qa_outputs.…</c>): dropout → qa_outputs.</summary>
public sealed class DistilBertForQuestionAnswering : QuestionAnsweringModel
{
    private readonly DistilBertModel distilbert;
    private readonly Linear qa_outputs;
    private readonly Dropout dropout;

    /// <summary>Creates the model.</summary>
    public DistilBertForQuestionAnswering(DistilBertConfig config) : base(nameof(DistilBertForQuestionAnswering))
    {
        distilbert = new DistilBertModel(config);
        qa_outputs = nn.Linear(config.Dim, 2);
        dropout = nn.Dropout(config.QaDropout);
        RegisterComponents();
    }

    /// <summary>The encoder.</summary>
    public DistilBertModel DistilBert => distilbert;

    /// <inheritdoc/>
    public override int MaxPositions => distilbert.MaxPositions;

    /// <summary>HF <c>DistilBertForQuestionAnswering</c> layout: keys <c>distilbert.…</c> and <c>qa_outputs.…</c>.</summary>
    public override void SaveCheckpoint(string directory) => DistilBertCheckpoint.Save(this, distilbert.Config, directory, nameof(DistilBertForQuestionAnswering));

    /// <summary>(B, T) ids, (ignored) segment ids and mask → start and end logits (B, T).</summary>
    public override SpanLogits forward(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        var hidden = dropout.call(distilbert.forward(inputIds, tokenTypeIds, attentionMask).LastHiddenState);
        var parts = qa_outputs.call(hidden).split(1, dim: -1); // 2 × (B, T, 1)
        return new SpanLogits(parts[0].squeeze(-1).MoveToOuterDisposeScope(), parts[1].squeeze(-1).MoveToOuterDisposeScope());
    }
}
