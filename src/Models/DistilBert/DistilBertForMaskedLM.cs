using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.DistilBert;

/// <summary>
/// DistilBERT with its masked-LM head (HF <c>DistilBertForMaskedLM</c>: keys <c>distilbert.…</c>, <c>vocab_transform</c>,
/// <c>vocab_layer_norm</c>, <c>vocab_projector</c>): transform → activation → LayerNorm → projector tied to the word
/// embeddings (only <c>vocab_projector.bias</c> is its own; HF does not save the tied weight).
/// </summary>
internal sealed class DistilBertForMaskedLM : nn.Module, IMaskedLanguageModel
{
    private readonly DistilBertModel distilbert;
    private readonly Linear vocab_transform;
    private readonly LayerNorm vocab_layer_norm;
    private readonly VocabProjector vocab_projector;
    private readonly string activation;

    /// <summary>Creates the model.</summary>
    public DistilBertForMaskedLM(DistilBertConfig config) : base(nameof(DistilBertForMaskedLM))
    {
        distilbert = new DistilBertModel(config);
        vocab_transform = nn.Linear(config.Dim, config.Dim);
        vocab_layer_norm = nn.LayerNorm(config.Dim, config.LayerNormEps);
        vocab_projector = new VocabProjector(config.VocabSize);
        activation = config.Activation;
        RegisterComponents();
    }

    /// <summary>The encoder.</summary>
    public DistilBertModel DistilBert => distilbert;

    /// <inheritdoc/>
    public int MaxPositions => distilbert.MaxPositions;

    /// <inheritdoc/>
    public Tensor forward(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask, Tensor? maskedPositions = null)
    {
        using var scope = NewDisposeScope();
        var hidden = distilbert.forward(inputIds, tokenTypeIds, attentionMask).LastHiddenState; // (B, T, D)
        if (maskedPositions is not null) hidden = hidden[maskedPositions];                    // (N, D)
        var x = vocab_layer_norm.call(Activations.Apply(activation, vocab_transform.call(hidden)));
        return vocab_projector.forward(x, distilbert.WordEmbeddingWeight).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public void SaveCheckpoint(string directory) => DistilBertCheckpoint.Save(this, distilbert.Config, directory, nameof(DistilBertForMaskedLM));

    /// <summary>The tied projector: only its bias is a parameter (key <c>vocab_projector.bias</c>).</summary>
    private sealed class VocabProjector : nn.Module
    {
        private readonly Parameter bias;

        public VocabProjector(int vocabSize) : base(nameof(VocabProjector))
        {
            bias = new Parameter(zeros(vocabSize));
            RegisterComponents();
        }

        public Tensor forward(Tensor x, Tensor weight) => nn.functional.linear(x, weight, bias);
    }
}
