using MLNet.Transformers.Models.Bert;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.Roberta;

/// <summary>
/// RoBERTa with its classification (or one-output regression) head (HF <c>RobertaForSequenceClassification</c>: keys
/// <c>roberta.…</c> without a pooler, <c>classifier.dense</c>, <c>classifier.out_proj</c>).
/// </summary>
internal sealed class RobertaForSequenceClassification : EncoderClassifier
{
    private readonly RobertaModel roberta;
    private readonly RobertaClassificationHead classifier;

    /// <summary>Creates the model with <paramref name="numLabels"/> outputs.</summary>
    public RobertaForSequenceClassification(BertConfig config, int numLabels) : base(nameof(RobertaForSequenceClassification))
    {
        if (numLabels < 1) throw new ArgumentOutOfRangeException(nameof(numLabels), numLabels, "A classification head needs at least one output.");
        roberta = new RobertaModel(config, addPoolingLayer: false);
        classifier = new RobertaClassificationHead(config, numLabels);
        NumLabels = numLabels;
        RegisterComponents();
    }

    /// <summary>The encoder.</summary>
    public RobertaModel Roberta => roberta;

    /// <inheritdoc/>
    public override int NumLabels { get; }

    /// <inheritdoc/>
    public override int MaxPositions => roberta.MaxPositions;

    /// <inheritdoc/>
    public override Tensor forward(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        var hidden = roberta.forward(inputIds, tokenTypeIds, attentionMask).LastHiddenState; // (B, T, H)
        return classifier.call(hidden).MoveToOuterDisposeScope();                            // (B, L)
    }

    /// <inheritdoc/>
    public override IEnumerable<Parameter> EncoderParameters() => roberta.parameters();

    /// <inheritdoc/>
    public override void SaveCheckpoint(string directory, ClassifierLabels labels) =>
        RobertaCheckpoint.Save(this, BertCheckpoint.WithLabels(roberta.Config, labels), directory, nameof(RobertaForSequenceClassification));
}
