using MLNet.Transformers.Models.Bert;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models;

/// <summary>
/// A bare encoder of any family (HF <c>AutoModel</c>: BERT, RoBERTa, DistilBERT): ids, segment ids and mask in, every
/// token's last hidden state (and the pooler output where the family has one) out. What <c>TransformerEmbedding</c> runs.
/// </summary>
public interface IEncoderModel
{
    /// <summary>config.json's <c>model_type</c>.</summary>
    string ModelType { get; }

    /// <summary>Width of the hidden states.</summary>
    int HiddenSize { get; }

    /// <summary>Longest input the model has positions for (HF's <c>model_max_length</c> cap).</summary>
    int MaxPositions { get; }

    /// <summary>Whether <see cref="EncoderOutput.PoolerOutput"/> is computed.</summary>
    bool HasPooler { get; }

    /// <summary>(B, T) int64 ids, segment ids (ignored by families without them) and mask → (B, T, H) and optional (B, H).</summary>
    EncoderOutput forward(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask);
}
