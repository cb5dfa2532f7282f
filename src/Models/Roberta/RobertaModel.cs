using MLNet.Transformers.Models.Bert;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.Roberta;

/// <summary>
/// The RoBERTa encoder (HF <c>RobertaModel</c>): <see cref="RobertaEmbeddings"/>, then BERT's post-LN layers and pooler,
/// which RoBERTa shares unchanged. Saved alone its keys are <c>embeddings.…</c>, <c>encoder.…</c>, <c>pooler.…</c>; inside
/// a task model they get the <c>roberta.</c> prefix.
/// </summary>
internal sealed class RobertaModel : nn.Module, IEncoderModel
{
    private readonly RobertaEmbeddings embeddings;
    private readonly BertEncoder encoder;
    private readonly BertPooler? pooler;

    /// <summary>Creates the encoder, with the pooler unless <paramref name="addPoolingLayer"/> is false.</summary>
    public RobertaModel(BertConfig config, bool addPoolingLayer = true) : base(nameof(RobertaModel))
    {
        Config = config;
        embeddings = new RobertaEmbeddings(config);
        encoder = new BertEncoder(config);
        pooler = addPoolingLayer ? new BertPooler(config) : null;
        RegisterComponents();
    }

    /// <summary>The configuration (BERT's fields; model_type "roberta").</summary>
    public BertConfig Config { get; }

    /// <inheritdoc/>
    public string ModelType => "roberta";

    /// <inheritdoc/>
    public int HiddenSize => Config.HiddenSize;

    /// <inheritdoc/>
    public int MaxPositions => RobertaCheckpoint.MaxTokens(Config);

    /// <inheritdoc/>
    public bool HasPooler => pooler is not null;

    /// <summary>The word-embedding matrix that the MLM decoder reuses.</summary>
    public Tensor WordEmbeddingWeight => embeddings.WordEmbeddingWeight;

    /// <inheritdoc/>
    public EncoderOutput forward(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        var attend = attentionMask.to(ScalarType.Bool).unsqueeze(1).unsqueeze(2);                 // (B, 1, 1, T)
        var hidden = encoder.forward(embeddings.forward(inputIds, tokenTypeIds), attend);        // (B, T, H)
        var pooled = pooler?.call(hidden);                                                       // (B, H)
        return new EncoderOutput(hidden.MoveToOuterDisposeScope(), pooled?.MoveToOuterDisposeScope());
    }
}
