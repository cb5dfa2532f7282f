using MLNet.Transformers.Models.Bert;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.DistilBert;

/// <summary>
/// The DistilBERT encoder (HF <c>DistilBertModel</c>): embeddings without token types, then post-LN layers; no pooler.
/// Saved alone its keys are <c>embeddings.…</c>, <c>transformer.…</c>; inside a task model they get the <c>distilbert.</c> prefix.
/// </summary>
internal sealed class DistilBertModel : nn.Module, IEncoderModel
{
    private readonly DistilBertEmbeddings embeddings;
    private readonly DistilBertTransformer transformer;

    /// <summary>Creates the encoder for <paramref name="config"/>.</summary>
    public DistilBertModel(DistilBertConfig config) : base(nameof(DistilBertModel))
    {
        config.Validate();
        Config = config;
        embeddings = new DistilBertEmbeddings(config);
        transformer = new DistilBertTransformer(config);
        RegisterComponents();
    }

    /// <summary>The configuration.</summary>
    public DistilBertConfig Config { get; }

    /// <inheritdoc/>
    public string ModelType => "distilbert";

    /// <inheritdoc/>
    public int HiddenSize => Config.Dim;

    /// <inheritdoc/>
    public int MaxPositions => Config.MaxPositionEmbeddings;

    /// <inheritdoc/>
    public bool HasPooler => false;

    /// <summary>The word-embedding matrix the MLM projector reuses.</summary>
    public Tensor WordEmbeddingWeight => embeddings.WordEmbeddingWeight;

    /// <summary>(B, T) ids and mask → (B, T, D); <paramref name="tokenTypeIds"/> is ignored (DistilBERT has no segments).</summary>
    public EncoderOutput forward(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        var attend = attentionMask.to(ScalarType.Bool).unsqueeze(1).unsqueeze(2); // (B, 1, 1, T)
        var hidden = transformer.forward(embeddings.forward(inputIds), attend);
        return new EncoderOutput(hidden.MoveToOuterDisposeScope(), null);
    }
}
