using MLNet.Transformers.Models.Common;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.DistilBert;

/// <summary>Word + learned position embeddings, LayerNorm, dropout; no token types (HF <c>distilbert Embeddings</c>).</summary>
internal sealed class DistilBertEmbeddings : nn.Module
{
    private readonly Embedding word_embeddings;
    private readonly Embedding position_embeddings;
    private readonly LayerNorm LayerNorm;
    private readonly MixedPrecisionDropout dropout;

    /// <summary>Creates the block for <paramref name="config"/>.</summary>
    public DistilBertEmbeddings(DistilBertConfig config) : base(nameof(DistilBertEmbeddings))
    {
        word_embeddings = nn.Embedding(config.VocabSize, config.Dim, padding_idx: config.PadTokenId);
        position_embeddings = nn.Embedding(config.MaxPositionEmbeddings, config.Dim);
        LayerNorm = nn.LayerNorm(config.Dim, config.LayerNormEps);
        dropout = new MixedPrecisionDropout(config.Dropout);
        RegisterComponents();
    }

    /// <summary>The word-embedding matrix the MLM projector is tied to.</summary>
    public Parameter WordEmbeddingWeight => word_embeddings.weight!;

    /// <summary>(B, T) ids → (B, T, D).</summary>
    public Tensor forward(Tensor inputIds)
    {
        using var scope = NewDisposeScope();
        var positions = arange(inputIds.shape[1], dtype: ScalarType.Int64, device: inputIds.device).unsqueeze(0); // (1, T)
        var x = word_embeddings.call(inputIds) + position_embeddings.call(positions);
        return dropout.call(LayerNorm.call(x)).MoveToOuterDisposeScope();
    }
}
