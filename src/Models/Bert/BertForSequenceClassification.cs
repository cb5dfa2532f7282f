using MLNet.Transformers.Models.Common;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.Bert;

/// <summary>
/// BERT with a classification (or, with one label, regression) head (HF <c>BertForSequenceClassification</c>: keys
/// <c>bert.…</c>, <c>classifier.…</c>): pooler → dropout → classifier. With <see cref="ClassificationHead.Cls"/> the
/// model has no pooler and the head reads the last hidden state at [CLS] directly.
/// </summary>
public sealed class BertForSequenceClassification : EncoderClassifier
{
    private readonly BertModel bert;
    private readonly MixedPrecisionDropout dropout;
    private readonly Linear classifier;

    /// <summary>Creates the model with <paramref name="numLabels"/> outputs.</summary>
    public BertForSequenceClassification(BertConfig config, int numLabels, ClassificationHead head = ClassificationHead.Pooler)
        : base(nameof(BertForSequenceClassification))
    {
        if (numLabels < 1) throw new ArgumentOutOfRangeException(nameof(numLabels), numLabels, "A classification head needs at least one output.");
        bert = new BertModel(config, addPoolingLayer: head == ClassificationHead.Pooler);
        dropout = new MixedPrecisionDropout(config.ClassifierDropout ?? config.HiddenDropoutProb);   // HF: classifier_dropout, else hidden_dropout_prob
        classifier = nn.Linear(config.HiddenSize, numLabels);
        NumLabels = numLabels;
        Head = head;
        RegisterComponents();
    }

    /// <summary>The encoder.</summary>
    public BertModel Bert => bert;

    /// <inheritdoc/>
    public override int NumLabels { get; }

    /// <summary>Where the head reads the sentence representation.</summary>
    public ClassificationHead Head { get; }

    /// <inheritdoc/>
    public override int MaxPositions => bert.Config.MaxPositionEmbeddings;

    /// <summary>(B, T) ids, segment ids and mask → (B, NumLabels) logits.</summary>
    public override Tensor forward(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        var output = bert.forward(inputIds, tokenTypeIds, attentionMask);
        var sentence = Head == ClassificationHead.Pooler ? output.PoolerOutput! : output.LastHiddenState.select(1, 0); // (B, H)
        return classifier.call(dropout.call(sentence)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override IEnumerable<Parameter> EncoderParameters() => bert.parameters();

    /// <inheritdoc/>
    public override void SaveCheckpoint(string directory, ClassifierLabels labels) =>
        BertCheckpoint.Save(this, BertCheckpoint.WithLabels(bert.Config, labels), directory, nameof(BertForSequenceClassification));
}
