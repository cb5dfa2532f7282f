using MLNet.Transformers.Models.Common;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.DistilBert;

/// <summary>
/// DistilBERT with a classification (or one-output regression) head (HF <c>DistilBertForSequenceClassification</c>: keys
/// <c>distilbert.…</c>, <c>pre_classifier.…</c>, <c>classifier.…</c>): h[CLS] → pre_classifier → ReLU → dropout → classifier.
/// </summary>
internal sealed class DistilBertForSequenceClassification : EncoderClassifier
{
    private readonly DistilBertModel distilbert;
    private readonly Linear pre_classifier;
    private readonly Linear classifier;
    private readonly MixedPrecisionDropout dropout;

    /// <summary>Creates the model with <paramref name="numLabels"/> outputs.</summary>
    public DistilBertForSequenceClassification(DistilBertConfig config, int numLabels) : base(nameof(DistilBertForSequenceClassification))
    {
        if (numLabels < 1) throw new ArgumentOutOfRangeException(nameof(numLabels), numLabels, "A classification head needs at least one output.");
        distilbert = new DistilBertModel(config);
        pre_classifier = nn.Linear(config.Dim, config.Dim);
        classifier = nn.Linear(config.Dim, numLabels);
        dropout = new MixedPrecisionDropout(config.SeqClassifDropout);
        NumLabels = numLabels;
        RegisterComponents();
    }

    /// <summary>The encoder.</summary>
    public DistilBertModel DistilBert => distilbert;

    /// <inheritdoc/>
    public override int NumLabels { get; }

    /// <inheritdoc/>
    public override int MaxPositions => distilbert.MaxPositions;

    /// <inheritdoc/>
    public override Tensor forward(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        var first = distilbert.forward(inputIds, tokenTypeIds, attentionMask).LastHiddenState.select(1, 0); // (B, D)
        var x = dropout.call(nn.functional.relu(pre_classifier.call(first)));
        return classifier.call(x).MoveToOuterDisposeScope();                                                  // (B, L)
    }

    /// <inheritdoc/>
    public override IEnumerable<Parameter> EncoderParameters() => distilbert.parameters();

    /// <inheritdoc/>
    public override void SaveCheckpoint(string directory, ClassifierLabels labels) =>
        DistilBertCheckpoint.Save(this, DistilBertCheckpoint.WithLabels(distilbert.Config, labels), directory, nameof(DistilBertForSequenceClassification));
}
