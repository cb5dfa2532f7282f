using MLNet.Transformers.Models.Common;
using TorchSharp;
using TorchSharp.Modules;
using MLNet.Transformers.Models.Bert;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.Roberta;

/// <summary>
/// RoBERTa's embeddings (HF <c>RobertaEmbeddings</c>): as BERT's, except that positions count from <c>pad_token_id + 1</c>
/// over non-padding tokens and padding gets position <c>pad_token_id</c> (HF <c>create_position_ids_from_input_ids</c>);
/// this is why <c>max_position_embeddings</c> is 514 for 512 tokens.
/// </summary>
internal sealed class RobertaEmbeddings : nn.Module
{
    private readonly Embedding word_embeddings;
    private readonly Embedding position_embeddings;
    private readonly Embedding token_type_embeddings;
    private readonly LayerNorm LayerNorm;
    private readonly MixedPrecisionDropout dropout;
    private readonly long paddingIdx;

    /// <summary>Creates the embedding block for <paramref name="config"/> (a BERT-shaped config with model_type "roberta").</summary>
    public RobertaEmbeddings(BertConfig config) : base(nameof(RobertaEmbeddings))
    {
        word_embeddings = nn.Embedding(config.VocabSize, config.HiddenSize, padding_idx: config.PadTokenId);
        position_embeddings = nn.Embedding(config.MaxPositionEmbeddings, config.HiddenSize, padding_idx: config.PadTokenId);
        token_type_embeddings = nn.Embedding(config.TypeVocabSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        dropout = new MixedPrecisionDropout(config.HiddenDropoutProb);
        paddingIdx = config.PadTokenId;
        RegisterComponents();
    }

    /// <summary>The word-embedding matrix (vocab, hidden); the MLM decoder is tied to it.</summary>
    public Parameter WordEmbeddingWeight => word_embeddings.weight!;

    /// <summary>(B, T) ids and segment ids → (B, T, H).</summary>
    public Tensor forward(Tensor inputIds, Tensor tokenTypeIds)
    {
        using var scope = NewDisposeScope();
        var notPad = inputIds.ne(paddingIdx).to(ScalarType.Int64);            // (B, T)
        var positions = cumsum(notPad, dim: 1) * notPad + paddingIdx;        // pad+1, pad+2, … ; padding stays at pad
        var x = word_embeddings.call(inputIds) + token_type_embeddings.call(tokenTypeIds) + position_embeddings.call(positions);
        return dropout.call(LayerNorm.call(x)).MoveToOuterDisposeScope();
    }
}
