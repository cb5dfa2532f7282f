using MLNet.Transformers.Models.Common;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.Bert;

/// <summary>
/// Word + learned position + token type embeddings, then LayerNorm and dropout.
/// Mirrors HF <c>BertEmbeddings</c>; field names are the state-dict keys.
/// </summary>
internal sealed class BertEmbeddings : nn.Module
{
    private readonly Embedding word_embeddings;
    private readonly Embedding position_embeddings;
    private readonly Embedding token_type_embeddings;
    private readonly LayerNorm LayerNorm;
    private readonly MixedPrecisionDropout dropout;

    /// <summary>Creates the embedding block for <paramref name="config"/>.</summary>
    public BertEmbeddings(BertConfig config) : base(nameof(BertEmbeddings))
    {
        word_embeddings = nn.Embedding(config.VocabSize, config.HiddenSize, padding_idx: config.PadTokenId);
        position_embeddings = nn.Embedding(config.MaxPositionEmbeddings, config.HiddenSize);
        token_type_embeddings = nn.Embedding(config.TypeVocabSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        dropout = new MixedPrecisionDropout(config.HiddenDropoutProb);
        RegisterComponents();
    }

    /// <summary>The word-embedding matrix (vocab, hidden); the MLM decoder is tied to it.</summary>
    public Parameter WordEmbeddingWeight => word_embeddings.weight!;

    /// <summary>Embeds ids (B, T) with segment ids (B, T) into (B, T, H).</summary>
    public Tensor forward(Tensor inputIds, Tensor tokenTypeIds)
    {
        using var scope = NewDisposeScope();
        long seqLen = inputIds.shape[1];
        var positions = arange(seqLen, dtype: ScalarType.Int64, device: inputIds.device).unsqueeze(0); // (1, T)
        var x = word_embeddings.call(inputIds)
              + position_embeddings.call(positions)
              + token_type_embeddings.call(tokenTypeIds);
        x = dropout.call(LayerNorm.call(x));
        return x.MoveToOuterDisposeScope();
    }
}
