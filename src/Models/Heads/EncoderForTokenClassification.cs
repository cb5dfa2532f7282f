using MLNet.Transformers.Models.Common;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models;

/// <summary>
/// Any encoder with a per-token classification head (HF <c>BertForTokenClassification</c>, <c>RobertaForTokenClassification</c>,
/// <c>DistilBertForTokenClassification</c>: the same head in each): last hidden state → dropout → <c>classifier</c> on every
/// token, for NER or part-of-speech tagging. The encoder sits under its family's prefix (<c>bert.</c>, <c>roberta.</c>,
/// <c>distilbert.</c>, without a pooler) and <see cref="SaveCheckpoint"/> writes that family's HF layout and architecture name.
/// Created by the family's loader (<see cref="EncoderCheckpoint.LoadForTokenClassification"/>).
/// </summary>
public sealed class EncoderForTokenClassification : EncoderClassifier
{
    private readonly IEncoderModel encoder;
    private readonly MixedPrecisionDropout dropout;
    private readonly Linear classifier;
    private readonly Action<nn.Module, string, ClassifierLabels> writeCheckpoint;

    /// <param name="encoder">The bare encoder (a module), registered under <paramref name="prefix"/>.</param>
    /// <param name="prefix">HF's <c>base_model_prefix</c> without the dot, e.g. "roberta".</param>
    /// <param name="dropoutProbability">The family's classifier dropout.</param>
    /// <param name="numLabels">Classes per token.</param>
    /// <param name="save">Writes this model in the family's layout with the labels (config.json + weights).</param>
    internal EncoderForTokenClassification(IEncoderModel encoder, string prefix, double dropoutProbability, int numLabels,
        Action<nn.Module, string, ClassifierLabels> save) : base(nameof(EncoderForTokenClassification))
    {
        if (numLabels < 1) throw new ArgumentOutOfRangeException(nameof(numLabels), numLabels, "A classification head needs at least one output.");
        this.encoder = encoder;
        dropout = new MixedPrecisionDropout(dropoutProbability);
        classifier = nn.Linear(encoder.HiddenSize, numLabels);
        NumLabels = numLabels;
        this.writeCheckpoint = save;
        // Registered by hand, in HF's order, because the encoder's key is the family's prefix rather than a fixed field name.
        register_module(prefix, (nn.Module)encoder);
        register_module(nameof(dropout), dropout);
        register_module(nameof(classifier), classifier);
    }

    /// <summary>The encoder.</summary>
    public IEncoderModel Encoder => encoder;

    /// <inheritdoc/>
    public override int NumLabels { get; }

    /// <inheritdoc/>
    public override int MaxPositions => encoder.MaxPositions;

    /// <summary>(B, T) ids, segment ids (ignored by families without them) and mask → (B, T, NumLabels) logits.</summary>
    public override Tensor forward(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        var hidden = encoder.forward(inputIds, tokenTypeIds, attentionMask).LastHiddenState;  // (B, T, H)
        return classifier.call(dropout.call(hidden)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override IEnumerable<Parameter> EncoderParameters() => ((nn.Module)encoder).parameters();

    /// <inheritdoc/>
    public override void SaveCheckpoint(string directory, ClassifierLabels labels) => writeCheckpoint(this, directory, labels);
}
