using System.Text.Json.Serialization;

namespace MLNet.Transformers.Models.Gpt2;

/// <summary>
/// The hyper-parameters of a GPT-2 model, read from and written to a Hugging Face <c>config.json</c> (property names are
/// the JSON keys of <c>transformers.GPT2Config</c>). Three fields are this library's extensions for models trained from
/// scratch (<see cref="PositionEmbeddingType"/>, <see cref="NumKeyValueHeads"/>, <see cref="RopeTheta"/>); they are not
/// written when they keep GPT-2's behaviour, so a plain GPT-2 config round-trips unchanged.
/// </summary>
public sealed record Gpt2Config
{
    /// <summary>Always "gpt2" for this family.</summary>
    [JsonPropertyName("model_type")] public string ModelType { get; init; } = "gpt2";
    /// <summary>The HF class names the checkpoint was saved from, e.g. "GPT2LMHeadModel".</summary>
    [JsonPropertyName("architectures")] public string[]? Architectures { get; init; }
    /// <summary>Number of byte-level BPE tokens.</summary>
    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; } = 50257;
    /// <summary>Context size: the longest sequence the model attends over (learned positions cover exactly this many).</summary>
    [JsonPropertyName("n_positions")] public int NPositions { get; init; } = 1024;
    /// <summary>Width of the residual stream.</summary>
    [JsonPropertyName("n_embd")] public int NEmbd { get; init; } = 768;
    /// <summary>Number of transformer blocks.</summary>
    [JsonPropertyName("n_layer")] public int NLayer { get; init; } = 12;
    /// <summary>Number of query heads; must divide <see cref="NEmbd"/>.</summary>
    [JsonPropertyName("n_head")] public int NHead { get; init; } = 12;
    /// <summary>Width of the MLP; null = 4·n_embd (as HF).</summary>
    [JsonPropertyName("n_inner")] public int? NInner { get; init; }
    /// <summary>MLP activation: "gelu_new" (tanh approximation, GPT-2's), "gelu" (erf), "gelu_pytorch_tanh" or "relu".</summary>
    [JsonPropertyName("activation_function")] public string ActivationFunction { get; init; } = "gelu_new";
    /// <summary>Dropout on the output of attention and MLP (training only).</summary>
    [JsonPropertyName("resid_pdrop")] public double ResidPdrop { get; init; } = 0.1;
    /// <summary>Dropout on the summed embeddings (training only).</summary>
    [JsonPropertyName("embd_pdrop")] public double EmbdPdrop { get; init; } = 0.1;
    /// <summary>Dropout on attention probabilities (training only).</summary>
    [JsonPropertyName("attn_pdrop")] public double AttnPdrop { get; init; } = 0.1;
    /// <summary>Epsilon of every LayerNorm.</summary>
    [JsonPropertyName("layer_norm_epsilon")] public double LayerNormEpsilon { get; init; } = 1e-5;
    /// <summary>Standard deviation of the normal initialiser.</summary>
    [JsonPropertyName("initializer_range")] public double InitializerRange { get; init; } = 0.02;
    /// <summary>Scale scores by 1/√head_dim (GPT-2: true; false is not supported).</summary>
    [JsonPropertyName("scale_attn_weights")] public bool ScaleAttnWeights { get; init; } = true;
    /// <summary>HF option for Mistral-style layer-wise scaling; only false is supported.</summary>
    [JsonPropertyName("scale_attn_by_inverse_layer_idx")] public bool ScaleAttnByInverseLayerIdx { get; init; }
    /// <summary>HF option; only false is supported (it changes numerics only slightly, but we do not implement it).</summary>
    [JsonPropertyName("reorder_and_upcast_attn")] public bool ReorderAndUpcastAttn { get; init; }
    /// <summary>Id of the beginning-of-text token (GPT-2: &lt;|endoftext|&gt; = 50256).</summary>
    [JsonPropertyName("bos_token_id")] public int BosTokenId { get; init; } = 50256;
    /// <summary>Id of the end-of-text token; generation stops there.</summary>
    [JsonPropertyName("eos_token_id")] public int EosTokenId { get; init; } = 50256;
    /// <summary>Whether <c>lm_head</c> shares the token-embedding matrix (GPT-2: true).</summary>
    [JsonPropertyName("tie_word_embeddings")] public bool TieWordEmbeddings { get; init; } = true;

    /// <summary>Extension: "learned" (GPT-2's <c>wpe</c>; null means this), "sinusoidal" (fixed, Vaswani et al.) or "rotary" (RoPE on queries and keys).</summary>
    [JsonPropertyName("position_embedding_type"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? PositionEmbeddingType { get; init; }
    /// <summary>Extension: number of key/value heads (grouped-query attention; 1 = multi-query); null = <see cref="NHead"/>.</summary>
    [JsonPropertyName("n_kv_head"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? NumKeyValueHeads { get; init; }
    /// <summary>Extension: RoPE base θ (default 10000, as RoFormer/Llama).</summary>
    [JsonPropertyName("rope_theta"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? RopeTheta { get; init; }

    /// <summary>Size of one attention head.</summary>
    [JsonIgnore] public int HeadDim => NEmbd / NHead;
    /// <summary>Width of the MLP (n_inner, or 4·n_embd).</summary>
    [JsonIgnore] public int InnerDim => NInner ?? 4 * NEmbd;
    /// <summary>Key/value heads actually used.</summary>
    [JsonIgnore] public int KeyValueHeads => NumKeyValueHeads ?? NHead;
    /// <summary>Position encoding actually used: "learned", "sinusoidal" or "rotary".</summary>
    [JsonIgnore] public string Positions => PositionEmbeddingType ?? "learned";

    /// <summary>A tiny GPT (2 layers, 128 wide, 4 heads, context 128) for tests and quick experiments.</summary>
    public static Gpt2Config Tiny(int vocabSize = 50257) => Sized(vocabSize, layers: 2, embd: 128, heads: 4, positions: 128);
    /// <summary>A small GPT (4 layers, 256 wide, 4 heads, context 256) that learns tiny Shakespeare in minutes on a CPU.</summary>
    public static Gpt2Config Small(int vocabSize = 50257) => Sized(vocabSize, layers: 4, embd: 256, heads: 4, positions: 256);
    /// <summary>OpenAI's GPT-2 (124M: 12 layers, 768 wide, 12 heads, context 1024).</summary>
    public static Gpt2Config Gpt2(int vocabSize = 50257) => Sized(vocabSize, layers: 12, embd: 768, heads: 12, positions: 1024);
    /// <summary>OpenAI's GPT-2 medium (355M: 24 layers, 1024 wide, 16 heads).</summary>
    public static Gpt2Config Gpt2Medium(int vocabSize = 50257) => Sized(vocabSize, layers: 24, embd: 1024, heads: 16, positions: 1024);

    private static Gpt2Config Sized(int vocabSize, int layers, int embd, int heads, int positions) => new()
    {
        VocabSize = vocabSize, NLayer = layers, NEmbd = embd, NHead = heads, NPositions = positions,
    };

    /// <summary>Throws an <see cref="ArgumentException"/> that names the first inconsistent field.</summary>
    public void Validate()
    {
        Require(ModelType is "gpt2", "model_type", $"is '{ModelType}', expected 'gpt2' (this loader reads GPT-2 checkpoints only)");
        Require(VocabSize > 0, "vocab_size", "must be positive");
        Require(NPositions > 0, "n_positions", "must be positive");
        Require(NLayer > 0, "n_layer", "must be positive");
        Require(NHead > 0 && NEmbd > 0 && NEmbd % NHead == 0, "n_head", $"({NHead}) must be positive and divide n_embd ({NEmbd})");
        Require(NInner is null or > 0, "n_inner", "must be positive or null");
        Require(KeyValueHeads > 0 && NHead % KeyValueHeads == 0, "n_kv_head", $"({KeyValueHeads}) must be positive and divide n_head ({NHead})");
        Require(Positions is "learned" or "sinusoidal" or "rotary", "position_embedding_type", $"'{Positions}' is not supported (use learned, sinusoidal or rotary)");
        Require(Positions is not "rotary" || HeadDim % 2 == 0, "position_embedding_type", $"rotary needs an even head size, got {HeadDim}");
        Require(Positions is not "sinusoidal" || NEmbd % 2 == 0, "position_embedding_type", $"sinusoidal needs an even n_embd, got {NEmbd}");
        Require(ActivationFunction is "gelu" or "gelu_new" or "gelu_pytorch_tanh" or "relu", "activation_function",
            $"'{ActivationFunction}' is not supported (use gelu_new, gelu, gelu_pytorch_tanh or relu)");
        Require(LayerNormEpsilonRange.Contains(LayerNormEpsilon), "layer_norm_epsilon", LayerNormEpsilonRange.Problem(LayerNormEpsilon));
        Require(ResidPdrop is >= 0 and < 1 && EmbdPdrop is >= 0 and < 1 && AttnPdrop is >= 0 and < 1, "resid_pdrop", "dropouts must be in [0, 1)");
        Require(ScaleAttnWeights, "scale_attn_weights", "false is not supported");
        Require(!ScaleAttnByInverseLayerIdx, "scale_attn_by_inverse_layer_idx", "true is not supported");
        Require(!ReorderAndUpcastAttn, "reorder_and_upcast_attn", "true is not supported");
    }

    private static void Require(bool ok, string field, string problem)
    {
        if (!ok) throw new ArgumentException($"GPT-2 config field '{field}' {problem}.", field);
    }
}
