using static TorchSharp.torch;

namespace MLNet.Transformers.Models.Bert;

/// <summary>
/// The BERT encoder: embeddings → post-LN transformer layers → optional pooler (HF <c>BertModel</c>).
/// Saved alone its keys are <c>embeddings.…</c>, <c>encoder.…</c>, <c>pooler.…</c>; inside a task model they get the <c>bert.</c> prefix.
/// </summary>
public sealed class BertModel : nn.Module, IEncoderModel
{
    private readonly BertEmbeddings embeddings;
    private readonly BertEncoder encoder;
    private readonly BertPooler? pooler;

    /// <summary>Creates an encoder for <paramref name="config"/>, with the pooler unless <paramref name="addPoolingLayer"/> is false.</summary>
    public BertModel(BertConfig config, bool addPoolingLayer = true) : base(nameof(BertModel))
    {
        config.Validate();
        Config = config;
        embeddings = new BertEmbeddings(config);
        encoder = new BertEncoder(config);
        pooler = addPoolingLayer ? new BertPooler(config) : null;
        RegisterComponents();
    }

    /// <summary>The configuration the model was built from.</summary>
    public BertConfig Config { get; }

    /// <summary>Whether the model has a pooler.</summary>
    public bool HasPooler => pooler is not null;

    /// <inheritdoc/>
    public string ModelType => Config.ModelType;

    /// <inheritdoc/>
    public int HiddenSize => Config.HiddenSize;

    /// <inheritdoc/>
    public int MaxPositions => Config.MaxPositionEmbeddings;

    /// <summary>The word-embedding matrix (vocab, hidden) that tied output layers reuse.</summary>
    public Tensor WordEmbeddingWeight => embeddings.WordEmbeddingWeight;

    /// <summary>
    /// Encodes a batch. <paramref name="inputIds"/>, <paramref name="tokenTypeIds"/> and <paramref name="attentionMask"/>
    /// are (B, T) int64; the mask is 1 for real tokens and 0 for padding.
    /// </summary>
    public EncoderOutput forward(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        // Keys that are padding get no attention: a (B, 1, 1, T) boolean mask broadcast over heads and queries.
        var attend = attentionMask.to(ScalarType.Bool).unsqueeze(1).unsqueeze(2);
        var hidden = encoder.forward(embeddings.forward(inputIds, tokenTypeIds), attend); // (B, T, H)
        var pooled = pooler?.call(hidden);                                                 // (B, H)
        return new EncoderOutput(hidden.MoveToOuterDisposeScope(), pooled?.MoveToOuterDisposeScope());
    }
}
