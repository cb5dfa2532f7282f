using MLNet.Transformers.Models;
using MLNet.Transformers.Models.Bert;
using static TorchSharp.torch;

namespace MLNet.Transformers.Transforms;

/// <summary>How a sequence of token vectors becomes one sentence vector.</summary>
public enum EmbeddingPooling
{
    /// <summary>The last hidden state at the [CLS] token.</summary>
    Cls,
    /// <summary>The mean of the last hidden states over real tokens (padding excluded; [CLS] and [SEP] included, as sentence-transformers does).</summary>
    Mean,
    /// <summary>BERT's pooler output: tanh(dense(h[CLS])), the representation next-sentence prediction was trained on.</summary>
    Pooler,
    /// <summary>The element-wise maximum of the last hidden states over real tokens (sentence-transformers' max pooling).</summary>
    Max,
    /// <summary>
    /// A sentence-transformers folder's own pooling (<c>modules.json</c> → <c>1_Pooling/config.json</c>); <see cref="Cls"/>
    /// for any other checkpoint. Resolved when the transformer is created.
    /// </summary>
    Default,
}

/// <summary>Applies an <see cref="EmbeddingPooling"/> to encoder outputs.</summary>
internal static class EmbeddingPoolingExtensions
{
    /// <summary>(B, H) sentence vectors from <paramref name="output"/> given the (B, T) attention mask.</summary>
    public static Tensor Pool(this EmbeddingPooling pooling, EncoderOutput output, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        var hidden = output.LastHiddenState; // (B, T, H)
        var pooled = pooling switch
        {
            EmbeddingPooling.Cls => hidden.select(1, 0),
            EmbeddingPooling.Pooler => output.PoolerOutput
                ?? throw new InvalidOperationException("Pooler pooling needs a model with a pooler (bert.pooler.* weights)."),
            EmbeddingPooling.Mean => MaskedMean(hidden, attentionMask),
            EmbeddingPooling.Max => MaskedMax(hidden, attentionMask),
            _ => throw new ArgumentOutOfRangeException(nameof(pooling), pooling, "Unknown pooling."),
        };
        return pooled.MoveToOuterDisposeScope();
    }

    // sentence-transformers: padding set to -1e9 before the max over tokens.
    private static Tensor MaskedMax(Tensor hidden, Tensor attentionMask) =>
        hidden.masked_fill(attentionMask.unsqueeze(-1).eq(0), -1e9).amax([1L]);

    /// <summary>L2-normalised rows, as torch's <c>F.normalize(x, p=2, dim=1)</c> (sentence-transformers' Normalize module).</summary>
    public static Tensor L2Normalize(Tensor x) => x / x.pow(2).sum(1, keepdim: true).sqrt().clamp_min(1e-12);

    private static Tensor MaskedMean(Tensor hidden, Tensor attentionMask)
    {
        var mask = attentionMask.unsqueeze(-1).to(hidden.dtype);          // (B, T, 1)
        var counts = mask.sum(1).clamp_min(1.0);                          // (B, 1); a row is never empty ([CLS] is real)
        return (hidden * mask).sum(1) / counts;                            // (B, H)
    }
}
