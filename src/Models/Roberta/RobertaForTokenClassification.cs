using MLNet.Transformers.Models.Bert;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.Roberta;

/// <summary>
/// RoBERTa with a per-token head (HF <c>RobertaForTokenClassification</c>: keys <c>roberta.…</c> without a pooler,
/// <c>classifier.…</c>): last hidden state → dropout → classifier.
/// </summary>
public sealed class RobertaForTokenClassification : EncoderClassifier
{
    private readonly RobertaModel roberta;
    private readonly Dropout dropout;
    private readonly Linear classifier;

    /// <summary>Creates the model with <paramref name="numLabels"/> classes per token.</summary>
    public RobertaForTokenClassification(BertConfig config, int numLabels) : base(nameof(RobertaForTokenClassification))
    {
        if (numLabels < 1) throw new ArgumentOutOfRangeException(nameof(numLabels), numLabels, "A classification head needs at least one output.");
        roberta = new RobertaModel(config, addPoolingLayer: false);
        dropout = nn.Dropout(config.ClassifierDropout ?? config.HiddenDropoutProb);
        classifier = nn.Linear(config.HiddenSize, numLabels);
        NumLabels = numLabels;
        RegisterComponents();
    }

    /// <summary>The encoder.</summary>
    public RobertaModel Roberta => roberta;

    /// <inheritdoc/>
    public override int NumLabels { get; }

    /// <inheritdoc/>
    public override int MaxPositions => roberta.MaxPositions;

    /// <summary>(B, T) ids, segment ids and mask → (B, T, NumLabels) logits.</summary>
    public override Tensor forward(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        var hidden = roberta.forward(inputIds, tokenTypeIds, attentionMask).LastHiddenState;
        return classifier.call(dropout.call(hidden)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override IEnumerable<Parameter> EncoderParameters() => roberta.parameters();

    /// <inheritdoc/>
    public override void SaveCheckpoint(string directory, ClassifierLabels labels) =>
        RobertaCheckpoint.Save(this, BertCheckpoint.WithLabels(roberta.Config, labels), directory, nameof(RobertaForTokenClassification));
}
