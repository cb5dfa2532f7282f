using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.T5;

/// <summary>
/// T5 encoder-decoder with its language-model head (HF <c>T5ForConditionalGeneration</c>). Keys: <c>shared</c>,
/// <c>encoder.*</c>, <c>decoder.*</c>, and <c>lm_head</c> only when <c>tie_word_embeddings</c> is false. With tied
/// embeddings the decoder output is scaled by d_model^-0.5 before the shared table (Mesh TF's convention).
/// </summary>
public sealed class T5ForConditionalGeneration : nn.Module
{
    private readonly Embedding shared;
    private readonly T5Stack encoder;
    private readonly T5Stack decoder;
    private readonly Linear? lm_head;

    /// <summary>Creates the model for <paramref name="config"/> (validated) with PyTorch's default initialisation; see <see cref="T5Initializer"/>.</summary>
    public T5ForConditionalGeneration(T5Config config) : base(nameof(T5ForConditionalGeneration))
    {
        config.Validate();
        Config = config;
        shared = nn.Embedding(config.VocabSize, config.DModel);
        encoder = new T5Stack(config, isDecoder: false);
        decoder = new T5Stack(config, isDecoder: true);
        if (!config.TieWordEmbeddings) lm_head = nn.Linear(config.DModel, config.VocabSize, hasBias: false);
        RegisterComponents();
    }

    /// <summary>The configuration the model was built from.</summary>
    public T5Config Config { get; }

    /// <summary>Number of decoder blocks, for <see cref="NewCache"/>.</summary>
    public int DecoderLayers => decoder.Layers;

    /// <summary>The shared token embedding (B, T) ids → (B, T, d_model).</summary>
    public Embedding SharedEmbedding => shared;

    /// <summary>An empty decoder cache for one generation run; the caller disposes it.</summary>
    internal T5DecoderCache NewCache() => new(decoder.Layers);

    /// <summary>Encoder: ids (B, S) int64 and a (B, S) 0/1 attention mask → last hidden state (B, S, d_model).</summary>
    public Tensor Encode(Tensor inputIds, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        return encoder.forward(shared.call(inputIds), attentionMask).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Decoder + head: logits (B, T, vocab) for decoder ids (B, T) given the encoder output (B, S, d) and its mask (B, S).
    /// Without a cache the ids are the whole decoder input (teacher forcing: [decoder_start] + labels shifted right).
    /// With a cache they are only the new positions; the cache grows by T and the encoder keys/values are reused
    /// after the first call.
    /// </summary>
    internal Tensor Decode(Tensor decoderInputIds, Tensor encoderHidden, Tensor encoderAttentionMask, T5DecoderCache? cache = null)
    {
        using var scope = NewDisposeScope();
        var hidden = decoder.ForwardDecoder(shared.call(decoderInputIds), encoderHidden, encoderAttentionMask, cache);
        return LmHead(hidden).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// As <see cref="Decode"/>, but the head runs on the last position only: logits (B, vocab) of the next token — what a
    /// generation step needs (the vocabulary projection is most of a small model's step).
    /// </summary>
    internal Tensor DecodeNext(Tensor decoderInputIds, Tensor encoderHidden, Tensor encoderAttentionMask, T5DecoderCache? cache = null)
    {
        using var scope = NewDisposeScope();
        var hidden = decoder.ForwardDecoder(shared.call(decoderInputIds), encoderHidden, encoderAttentionMask, cache);
        return LmHead(hidden[.., -1, ..]).MoveToOuterDisposeScope();
    }

    /// <summary>Teacher-forced logits (B, T, vocab): <see cref="Encode"/> then <see cref="Decode"/> without a cache.</summary>
    public Tensor forward(Tensor inputIds, Tensor attentionMask, Tensor decoderInputIds)
    {
        using var scope = NewDisposeScope();
        var encoded = Encode(inputIds, attentionMask);
        return Decode(decoderInputIds, encoded, attentionMask).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// HF's <c>_shift_right</c>: decoder input = [decoder_start_token_id] + labels[:-1], with ignored labels (-100)
    /// replaced by the pad id.
    /// </summary>
    public Tensor ShiftRight(Tensor labels)
    {
        using var scope = NewDisposeScope();
        var start = full(labels.shape[0], 1, Config.DecoderStartTokenId, dtype: ScalarType.Int64, device: labels.device);
        var shifted = cat(new[] { start, labels[.., ..^1] }, 1);
        return shifted.masked_fill(shifted.eq(-100), Config.PadTokenId).MoveToOuterDisposeScope();
    }

    /// <summary>Mean cross-entropy of <paramref name="logits"/> (B, T, V) against <paramref name="labels"/> (B, T), ignoring -100 (as HF).</summary>
    public static Tensor Loss(Tensor logits, Tensor labels) =>
        nn.functional.cross_entropy(logits.reshape(-1, logits.shape[^1]).to(ScalarType.Float32), labels.reshape(-1), ignore_index: -100);

    private Tensor LmHead(Tensor hidden) => lm_head is null
        ? nn.functional.linear(hidden * Math.Pow(Config.DModel, -0.5), shared.weight!) // tied: rescale, as Mesh TF
        : lm_head.call(hidden);
}
