using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.DistilBert;

/// <summary>
/// DistilBERT with a per-token head (HF <c>DistilBertForTokenClassification</c>: keys <c>distilbert.…</c>, <c>classifier.…</c>):
/// last hidden state → dropout → classifier.
/// </summary>
public sealed class DistilBertForTokenClassification : EncoderClassifier
{
    private readonly DistilBertModel distilbert;
    private readonly Dropout dropout;
    private readonly Linear classifier;

    /// <summary>Creates the model with <paramref name="numLabels"/> classes per token.</summary>
    public DistilBertForTokenClassification(DistilBertConfig config, int numLabels) : base(nameof(DistilBertForTokenClassification))
    {
        if (numLabels < 1) throw new ArgumentOutOfRangeException(nameof(numLabels), numLabels, "A classification head needs at least one output.");
        distilbert = new DistilBertModel(config);
        dropout = nn.Dropout(config.Dropout);
        classifier = nn.Linear(config.Dim, numLabels);
        NumLabels = numLabels;
        RegisterComponents();
    }

    /// <summary>The encoder.</summary>
    public DistilBertModel DistilBert => distilbert;

    /// <inheritdoc/>
    public override int NumLabels { get; }

    /// <inheritdoc/>
    public override int MaxPositions => distilbert.MaxPositions;

    /// <summary>(B, T) ids, (ignored) segment ids and mask → (B, T, NumLabels) logits.</summary>
    public override Tensor forward(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        var hidden = distilbert.forward(inputIds, tokenTypeIds, attentionMask).LastHiddenState;
        return classifier.call(dropout.call(hidden)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override IEnumerable<Parameter> EncoderParameters() => distilbert.parameters();

    /// <inheritdoc/>
    public override void SaveCheckpoint(string directory, ClassifierLabels labels) =>
        DistilBertCheckpoint.Save(this, DistilBertCheckpoint.WithLabels(distilbert.Config, labels), directory, nameof(DistilBertForTokenClassification));
}
