using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.Bert;

/// <summary>
/// BERT with a per-token classification head (HF <c>BertForTokenClassification</c>: keys <c>bert.…</c> without a pooler,
/// <c>classifier.…</c>): last hidden state → dropout → classifier on every token, for NER or part-of-speech tagging.
/// </summary>
public sealed class BertForTokenClassification : EncoderClassifier
{
    private readonly BertModel bert;
    private readonly Dropout dropout;
    private readonly Linear classifier;

    /// <summary>Creates the model with <paramref name="numLabels"/> classes per token.</summary>
    public BertForTokenClassification(BertConfig config, int numLabels) : base(nameof(BertForTokenClassification))
    {
        if (numLabels < 1) throw new ArgumentOutOfRangeException(nameof(numLabels), numLabels, "A classification head needs at least one output.");
        bert = new BertModel(config, addPoolingLayer: false);
        dropout = nn.Dropout(config.ClassifierDropout ?? config.HiddenDropoutProb);
        classifier = nn.Linear(config.HiddenSize, numLabels);
        NumLabels = numLabels;
        RegisterComponents();
    }

    /// <summary>The encoder.</summary>
    public BertModel Bert => bert;

    /// <inheritdoc/>
    public override int NumLabels { get; }

    /// <inheritdoc/>
    public override int MaxPositions => bert.Config.MaxPositionEmbeddings;

    /// <summary>(B, T) ids, segment ids and mask → (B, T, NumLabels) logits.</summary>
    public override Tensor forward(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        var hidden = bert.forward(inputIds, tokenTypeIds, attentionMask).LastHiddenState; // (B, T, H)
        return classifier.call(dropout.call(hidden)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override IEnumerable<Parameter> EncoderParameters() => bert.parameters();

    /// <inheritdoc/>
    public override void SaveCheckpoint(string directory, ClassifierLabels labels) =>
        BertCheckpoint.Save(this, BertCheckpoint.WithLabels(bert.Config, labels), directory, nameof(BertForTokenClassification));
}
