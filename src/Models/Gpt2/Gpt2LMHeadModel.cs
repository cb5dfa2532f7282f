using MLNet.Transformers.Generation;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.Gpt2;

/// <summary>
/// GPT-2 with its language-model head (HF <c>GPT2LMHeadModel</c>): logits = ln_f(h)·wteᵀ when tied (GPT-2), or a separate
/// bias-free <c>lm_head</c>. Implements <see cref="ICausalDecoder"/>, so the shared generation loop drives it.
/// </summary>
internal sealed class Gpt2LMHeadModel : nn.Module, ICausalDecoder
{
    private readonly Gpt2Model transformer;
    private readonly Linear? lm_head;

    /// <summary>Creates the model for <paramref name="config"/>; call <see cref="Gpt2Initializer.Initialize"/> for fresh weights.</summary>
    public Gpt2LMHeadModel(Gpt2Config config) : base(nameof(Gpt2LMHeadModel))
    {
        transformer = new Gpt2Model(config);
        lm_head = config.TieWordEmbeddings ? null : nn.Linear(config.NEmbd, config.VocabSize, hasBias: false);
        RegisterComponents();
    }

    /// <summary>The configuration the model was built from.</summary>
    public Gpt2Config Config => transformer.Config;

    /// <summary>The decoder stack.</summary>
    public Gpt2Model Transformer => transformer;

    /// <inheritdoc/>
    public int VocabularySize => Config.VocabSize;

    /// <summary>Logits (B, T, V) for every position of <paramref name="inputIds"/> (B, T); mask 1 = real token.</summary>
    public Tensor forward(Tensor inputIds, Tensor attentionMask, KeyValueCache? cache = null)
    {
        using var scope = NewDisposeScope();
        return Head(transformer.forward(inputIds, attentionMask, cache)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public IDecoderCache CreateCache() => new KeyValueCache(Config.NLayer);

    /// <inheritdoc/>
    public Tensor NextTokenLogits(Tensor inputIds, Tensor attentionMask, IDecoderCache? cache)
    {
        using var scope = NewDisposeScope();
        var hidden = transformer.forward(inputIds, attentionMask, (KeyValueCache?)cache); // (B, T, C)
        return Head(hidden[.., -1, ..]).to(ScalarType.Float32).MoveToOuterDisposeScope(); // only the last position: (B, V)
    }

    /// <inheritdoc/>
    public int? MaxSequenceLength => Config.Positions == "learned" ? Config.NPositions : null;

    /// <inheritdoc/>
    public long CacheBytesPerRow(int positions) => 2L * Config.NLayer * Config.NEmbd * sizeof(float) * positions;   // keys and values

    /// <inheritdoc/>
    public long AttentionBytesPerRow(int queries, int keys) => 2L * Config.NHead * queries * keys * sizeof(float);   // scores, softmax

    private Tensor Head(Tensor hidden) => lm_head is null
        ? nn.functional.linear(hidden, transformer.TokenEmbeddingWeight)
        : lm_head.call(hidden);
}
