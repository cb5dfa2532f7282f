using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.Bert;

/// <summary>
/// BERT with a classification (or, with one label, regression) head on the pooled [CLS] representation
/// (HF <c>BertForSequenceClassification</c>: keys <c>bert.…</c>, <c>classifier.…</c>).
/// </summary>
public sealed class BertForSequenceClassification : nn.Module
{
    private readonly BertModel bert;
    private readonly Dropout dropout;
    private readonly Linear classifier;

    /// <summary>Creates the model with <paramref name="numLabels"/> outputs.</summary>
    public BertForSequenceClassification(BertConfig config, int numLabels) : base(nameof(BertForSequenceClassification))
    {
        if (numLabels < 1) throw new ArgumentOutOfRangeException(nameof(numLabels), numLabels, "A classification head needs at least one output.");
        bert = new BertModel(config, addPoolingLayer: true);
        dropout = nn.Dropout(config.HiddenDropoutProb);
        classifier = nn.Linear(config.HiddenSize, numLabels);
        NumLabels = numLabels;
        RegisterComponents();
    }

    /// <summary>The encoder.</summary>
    public BertModel Bert => bert;

    /// <summary>Number of outputs of the head.</summary>
    public int NumLabels { get; }

    /// <summary>(B, T) ids, segment ids and mask → (B, NumLabels) logits.</summary>
    public Tensor forward(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        var pooled = bert.forward(inputIds, tokenTypeIds, attentionMask).PoolerOutput!;
        return classifier.call(dropout.call(pooled)).MoveToOuterDisposeScope();
    }
}
