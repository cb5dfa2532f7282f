using MLNet.Transformers.Models.Bert;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models;

/// <summary>
/// An encoder with the extractive-QA span head (<c>qa_outputs</c>: a start and an end score per token), whatever the family
/// (HF <c>AutoModelForQuestionAnswering</c>: BERT, RoBERTa, DistilBERT). Created by
/// <see cref="EncoderCheckpoint.LoadForQuestionAnswering"/>, so question answering never names a model family.
/// </summary>
public abstract class QuestionAnsweringModel : nn.Module
{
    /// <summary>Creates the module.</summary>
    protected QuestionAnsweringModel(string name) : base(name) { }

    /// <summary>Longest input the model has positions for (RoBERTa: max_position_embeddings − pad_token_id − 1).</summary>
    public abstract int MaxPositions { get; }

    /// <summary>(B, T) ids, segment ids (ignored by families without them) and mask → start and end logits (B, T).</summary>
    public abstract SpanLogits forward(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask);

    /// <summary>Writes the model in its family's HF layout (config.json with e.g. "RobertaForQuestionAnswering" + model.safetensors).</summary>
    public abstract void SaveCheckpoint(string directory);
}
