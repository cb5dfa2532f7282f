using MLNet.Transformers.Models.Common;
using MLNet.Transformers.Models.Bert;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models;

/// <summary>
/// Any encoder with the extractive-QA head (HF <c>…ForQuestionAnswering</c>): one linear layer, <c>qa_outputs</c>, giving every
/// token a start and an end score, after a dropout where the family has one (DistilBERT's <c>qa_dropout</c>). The encoder sits
/// under its family's prefix without a pooler; <see cref="SaveCheckpoint"/> writes the family's HF layout. Created by the
/// family's loader (<see cref="EncoderCheckpoint.LoadForQuestionAnswering"/>).
/// </summary>
public class EncoderForQuestionAnswering : QuestionAnsweringModel
{
    private readonly IEncoderModel encoder;
    private readonly Linear qa_outputs;
    private readonly MixedPrecisionDropout? dropout;
    private readonly Action<nn.Module, string> writeCheckpoint;

    /// <param name="name">The module's name.</param>
    /// <param name="encoder">The bare encoder (a module), registered under <paramref name="prefix"/>.</param>
    /// <param name="prefix">HF's <c>base_model_prefix</c> without the dot, e.g. "distilbert".</param>
    /// <param name="dropoutProbability">Dropout before <c>qa_outputs</c>, or null where HF's head has none (BERT, RoBERTa).</param>
    /// <param name="save">Writes this model in the family's layout (config.json + weights).</param>
    private protected EncoderForQuestionAnswering(string name, IEncoderModel encoder, string prefix, double? dropoutProbability, Action<nn.Module, string> save)
        : base(name)
    {
        this.encoder = encoder;
        qa_outputs = nn.Linear(encoder.HiddenSize, 2);
        dropout = dropoutProbability is double p ? new MixedPrecisionDropout(p) : null;
        this.writeCheckpoint = save;
        // Registered by hand, in HF's order, because the encoder's key is the family's prefix rather than a fixed field name.
        register_module(prefix, (nn.Module)encoder);
        register_module(nameof(qa_outputs), qa_outputs);
        if (dropout is not null) register_module(nameof(dropout), dropout);
    }

    /// <inheritdoc cref="EncoderForQuestionAnswering(string, IEncoderModel, string, double?, Action{nn.Module, string})"/>
    internal EncoderForQuestionAnswering(IEncoderModel encoder, string prefix, double? dropoutProbability, Action<nn.Module, string> save)
        : this(nameof(EncoderForQuestionAnswering), encoder, prefix, dropoutProbability, save) { }

    /// <summary>The encoder.</summary>
    public IEncoderModel Encoder => encoder;

    /// <inheritdoc/>
    public override int MaxPositions => encoder.MaxPositions;

    /// <inheritdoc/>
    public override void SaveCheckpoint(string directory) => writeCheckpoint(this, directory);

    /// <summary>(B, T) ids, segment ids (ignored by families without them) and mask → start and end logits (B, T).</summary>
    public override SpanLogits forward(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        var hidden = encoder.forward(inputIds, tokenTypeIds, attentionMask).LastHiddenState;     // (B, T, H)
        if (dropout is not null) hidden = dropout.call(hidden);
        var parts = qa_outputs.call(hidden).split(1, dim: -1);                                  // 2 × (B, T, 1)
        return new SpanLogits(parts[0].squeeze(-1).MoveToOuterDisposeScope(), parts[1].squeeze(-1).MoveToOuterDisposeScope());
    }
}
