using MLNet.Transformers.Transforms;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models;

/// <summary>
/// sentence-transformers' bi-encoder for similarity (<c>CosineSimilarityLoss</c>'s model): one encoder, each sentence
/// encoded on its own and pooled (<see cref="EmbeddingPooling"/>, the code <c>TransformerEmbedding</c> runs), the score is
/// the cosine of the two vectors. It has no head, so nothing is drawn fresh. As an <see cref="EncoderClassifier"/> with one
/// output it rides the sequence-classification estimator and transformer; <see cref="forward"/> gives pooled vectors.
/// </summary>
internal sealed class BiEncoderModel : EncoderClassifier
{
    private readonly IEncoderModel encoder;
    private readonly nn.Module encoderModule;

    public BiEncoderModel(IEncoderModel encoder, EmbeddingPooling pooling, bool normalize) : base("BiEncoder")
    {
        if (pooling is not (EmbeddingPooling.Cls or EmbeddingPooling.Mean or EmbeddingPooling.Max))
            throw new ArgumentException($"The bi-encoder pools with Cls, Mean or Max (what a sentence-transformers 1_Pooling folder can say); got {pooling}.", nameof(pooling));
        this.encoder = encoder;
        encoderModule = (nn.Module)encoder;
        Pooling = pooling;
        Normalize = normalize;
        register_module("encoder", encoderModule);
    }

    /// <summary>How token vectors become the sentence vector.</summary>
    public EmbeddingPooling Pooling { get; }

    /// <summary>Whether the checkpoint's folder had a Normalize module (cosine ignores it; it is written back on save).</summary>
    public bool Normalize { get; }

    /// <summary>The encoder whose pooled outputs are compared.</summary>
    public IEncoderModel Encoder => encoder;

    /// <inheritdoc/>
    public override int NumLabels => 1;

    /// <inheritdoc/>
    public override int MaxPositions => encoder.MaxPositions;

    /// <summary>(B, T) one side of the pairs → (B, H) pooled sentence vectors, as <c>TransformerEmbedding</c> computes them (before Normalize).</summary>
    public override Tensor forward(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        return Pooling.Pool(encoder.forward(inputIds, tokenTypeIds, attentionMask), attentionMask).MoveToOuterDisposeScope();
    }

    /// <summary>(B) cosine similarity of the pooled vectors of two (B, T) batches, in float32.</summary>
    public Tensor Cosine(Tensor ids1, Tensor types1, Tensor mask1, Tensor ids2, Tensor types2, Tensor mask2)
    {
        using var scope = NewDisposeScope();
        var a = forward(ids1, types1, mask1).to(ScalarType.Float32);
        var b = forward(ids2, types2, mask2).to(ScalarType.Float32);
        return nn.functional.cosine_similarity(a, b, dim: 1).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override IEnumerable<TorchSharp.Modules.Parameter> EncoderParameters() => encoderModule.parameters();

    /// <summary>
    /// Writes a sentence-transformers folder: the encoder in its family's HF layout at the root, <c>modules.json</c>,
    /// <c>1_Pooling/config.json</c> (and a Normalize module when the source had one), <c>sentence_bert_config.json</c>.
    /// The labels are not written: a bi-encoder has no head.
    /// </summary>
    public override void SaveCheckpoint(string directory, ClassifierLabels labels)
    {
        EncoderCheckpoint.SaveEncoder(encoder, directory);
        SentenceTransformersFolder.Write(directory, Pooling, Normalize, encoder.HiddenSize, encoder.MaxPositions);
    }

    /// <summary>Loads the encoder of <paramref name="directory"/> (a sentence-transformers folder or a plain checkpoint, then mean pooling).</summary>
    public static BiEncoderModel Load(string directory)
    {
        var folder = SentenceTransformersFolder.TryRead(directory);
        var encoder = EncoderCheckpoint.LoadEncoder(folder?.TransformerDirectory ?? directory, withPooler: false);
        try { return new BiEncoderModel(encoder, folder?.Pooling ?? EmbeddingPooling.Mean, folder?.Normalize ?? false); }
        catch
        {
            ((nn.Module)encoder).DisposeWithWeights();
            throw;
        }
    }
}
