using static TorchSharp.torch;

namespace MLNet.Transformers.Models.Bert;

/// <summary>Start and end logits of an extractive answer span, each (B, T).</summary>
public sealed record SpanLogits(Tensor Start, Tensor End);

/// <summary>
/// BERT with the extractive-QA head (HF <c>BertForQuestionAnswering</c>: keys <c>bert.…</c> without a pooler,
/// <c>qa_outputs.…</c>): the generic <see cref="EncoderForQuestionAnswering"/> over a <see cref="BertModel"/>, kept as a
/// named class so a model can be built from a <see cref="BertConfig"/> alone (as HF's class is).
/// </summary>
public sealed class BertForQuestionAnswering : EncoderForQuestionAnswering
{
    /// <summary>Creates the model.</summary>
    public BertForQuestionAnswering(BertConfig config) : base(nameof(BertForQuestionAnswering), new BertModel(config, addPoolingLayer: false),
        "bert", dropoutProbability: null, (model, directory) => BertCheckpoint.Save(model, config, directory, nameof(BertForQuestionAnswering)))
    { }

    /// <summary>The encoder.</summary>
    public BertModel Bert => (BertModel)Encoder;
}
