using System.Text.Json.Serialization;

namespace MLNet.Transformers.Models.T5;

/// <summary>
/// The hyper-parameters of a T5 encoder-decoder, read from and written to a Hugging Face <c>config.json</c>
/// (property names are the JSON keys of <c>transformers.T5Config</c>).
/// </summary>
public sealed record T5Config
{
    /// <summary>"t5" (also accepted: "mt5", same architecture).</summary>
    [JsonPropertyName("model_type")] public string ModelType { get; init; } = "t5";
    /// <summary>The HF class names the checkpoint was saved from, e.g. "T5ForConditionalGeneration".</summary>
    [JsonPropertyName("architectures")] public string[]? Architectures { get; init; }
    /// <summary>Rows of the shared embedding (t5-small: 32,128 = 32,000 pieces + 100 sentinels + padding to a multiple of 128).</summary>
    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; } = 32128;
    /// <summary>Width of every hidden state.</summary>
    [JsonPropertyName("d_model")] public int DModel { get; init; } = 512;
    /// <summary>Size of one attention head (T5 does not require num_heads · d_kv = d_model).</summary>
    [JsonPropertyName("d_kv")] public int DKv { get; init; } = 64;
    /// <summary>Width of the feed-forward layer.</summary>
    [JsonPropertyName("d_ff")] public int DFf { get; init; } = 2048;
    /// <summary>Number of encoder blocks.</summary>
    [JsonPropertyName("num_layers")] public int NumLayers { get; init; } = 6;
    /// <summary>Number of decoder blocks (HF: defaults to <see cref="NumLayers"/> when absent).</summary>
    [JsonPropertyName("num_decoder_layers")] public int? NumDecoderLayers { get; init; }
    /// <summary>Number of attention heads.</summary>
    [JsonPropertyName("num_heads")] public int NumHeads { get; init; } = 8;
    /// <summary>Number of relative-position buckets (half per direction in the encoder).</summary>
    [JsonPropertyName("relative_attention_num_buckets")] public int RelativeAttentionNumBuckets { get; init; } = 32;
    /// <summary>Distance beyond which all relative positions share the last bucket.</summary>
    [JsonPropertyName("relative_attention_max_distance")] public int RelativeAttentionMaxDistance { get; init; } = 128;
    /// <summary>Dropout on hidden states and attention probabilities during training.</summary>
    [JsonPropertyName("dropout_rate")] public double DropoutRate { get; init; } = 0.1;
    /// <summary>Epsilon of every RMS layer norm.</summary>
    [JsonPropertyName("layer_norm_epsilon")] public double LayerNormEpsilon { get; init; } = 1e-6;
    /// <summary>Scale of HF's initialiser (1.0 for every released checkpoint).</summary>
    [JsonPropertyName("initializer_factor")] public double InitializerFactor { get; init; } = 1.0;
    /// <summary>"relu" (T5 1.0: <c>DenseReluDense.wi/wo</c>) or "gated-gelu" (T5 1.1 / flan-t5: <c>wi_0/wi_1/wo</c>, gelu_new); "gated-relu" and "gelu" also work.</summary>
    [JsonPropertyName("feed_forward_proj")] public string FeedForwardProj { get; init; } = "relu";
    /// <summary>Always true for this family.</summary>
    [JsonPropertyName("is_encoder_decoder")] public bool IsEncoderDecoder { get; init; } = true;
    /// <summary>True: <c>lm_head</c> is <c>shared</c> and the decoder output is scaled by d_model^-0.5 first; false: a separate <c>lm_head.weight</c>, no scaling.</summary>
    [JsonPropertyName("tie_word_embeddings")] public bool TieWordEmbeddings { get; init; } = true;
    /// <summary>Id of &lt;pad&gt;.</summary>
    [JsonPropertyName("pad_token_id")] public int PadTokenId { get; init; }
    /// <summary>Id of &lt;/s&gt;.</summary>
    [JsonPropertyName("eos_token_id")] public int EosTokenId { get; init; } = 1;
    /// <summary>The first decoder input (T5: the pad id, 0).</summary>
    [JsonPropertyName("decoder_start_token_id")] public int DecoderStartTokenId { get; init; }

    /// <summary>Decoder blocks, <see cref="NumLayers"/> when config.json does not say.</summary>
    [JsonIgnore] public int DecoderLayers => NumDecoderLayers ?? NumLayers;
    /// <summary>Inner width of attention, num_heads · d_kv.</summary>
    [JsonIgnore] public int InnerDim => NumHeads * DKv;
    /// <summary>Whether the feed-forward layer is gated (<c>wi_0</c>, <c>wi_1</c>).</summary>
    [JsonIgnore] public bool IsGatedFeedForward => FeedForwardProj.StartsWith("gated-", StringComparison.Ordinal);
    /// <summary>The feed-forward activation by HF's ACT2FN name (HF maps "gated-gelu" to gelu_new).</summary>
    [JsonIgnore] public string FeedForwardActivation => FeedForwardProj == "gated-gelu" ? "gelu_new" : FeedForwardProj.Split('-')[^1];

    /// <summary>A tiny model for tests and quick experiments (d_model 64, 2+2 blocks, 4 heads).</summary>
    public static T5Config Tiny(int vocabSize = 32128) => new() { VocabSize = vocabSize, DModel = 64, DKv = 16, DFf = 256, NumLayers = 2, NumHeads = 4 };
    /// <summary>A small model for minutes-long pretraining on 2 cores (d_model 256, 4+4 blocks, 4 heads).</summary>
    public static T5Config Mini(int vocabSize = 32128) => new() { VocabSize = vocabSize, DModel = 256, DKv = 64, DFf = 1024, NumLayers = 4, NumHeads = 4 };
    /// <summary>Google's t5-small (d_model 512, 6+6 blocks, 8 heads, ReLU).</summary>
    public static T5Config Small(int vocabSize = 32128) => new() { VocabSize = vocabSize };

    /// <summary>Throws an <see cref="ArgumentException"/> that names the first inconsistent field.</summary>
    public void Validate()
    {
        Require(ModelType is "t5" or "mt5", "model_type", $"is '{ModelType}', expected 't5'");
        Require(VocabSize > 0, "vocab_size", "must be positive");
        Require(DModel > 0, "d_model", "must be positive");
        Require(DKv > 0, "d_kv", "must be positive");
        Require(DFf > 0, "d_ff", "must be positive");
        Require(NumLayers > 0, "num_layers", "must be positive");
        Require(DecoderLayers > 0, "num_decoder_layers", "must be positive");
        Require(NumHeads > 0, "num_heads", "must be positive");
        Require(RelativeAttentionNumBuckets >= 4, "relative_attention_num_buckets", "must be at least 4 (half of them per direction, half of those exact)");
        Require(RelativeAttentionMaxDistance > RelativeAttentionNumBuckets / 2, "relative_attention_max_distance",
            $"({RelativeAttentionMaxDistance}) must exceed relative_attention_num_buckets / 2 ({RelativeAttentionNumBuckets / 2})");
        Require(DropoutRate is >= 0 and < 1, "dropout_rate", "must be in [0, 1)");
        Require(LayerNormEpsilonRange.Contains(LayerNormEpsilon), "layer_norm_epsilon", LayerNormEpsilonRange.Problem(LayerNormEpsilon));
        var parts = FeedForwardProj.Split('-');
        Require((parts.Length == 1 || (parts.Length == 2 && parts[0] == "gated")) && parts[^1] is "relu" or "gelu" or "gelu_new",
            "feed_forward_proj", $"'{FeedForwardProj}' is not supported (use relu, gelu, gated-gelu or gated-relu)");
        Require(IsEncoderDecoder, "is_encoder_decoder", "false is not supported: only the full encoder-decoder is implemented");
        Require(PadTokenId >= 0 && PadTokenId < VocabSize, "pad_token_id", $"({PadTokenId}) must be an id below vocab_size");
        Require(EosTokenId >= 0 && EosTokenId < VocabSize, "eos_token_id", $"({EosTokenId}) must be an id below vocab_size");
        Require(DecoderStartTokenId >= 0 && DecoderStartTokenId < VocabSize, "decoder_start_token_id", $"({DecoderStartTokenId}) must be an id below vocab_size");
    }

    private static void Require(bool ok, string field, string problem)
    {
        if (!ok) throw new ArgumentException($"T5 config field '{field}' {problem}.", field);
    }
}
