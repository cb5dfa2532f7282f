using System.Text.Json.Serialization;

namespace MLNet.Transformers.Models.DistilBert;

/// <summary>
/// The hyper-parameters of a DistilBERT model, read from and written to a Hugging Face <c>config.json</c> (property names are
/// the JSON keys of <c>transformers.DistilBertConfig</c>; defaults are distilbert-base-uncased's).
/// </summary>
internal sealed record DistilBertConfig
{
    /// <summary>Always "distilbert".</summary>
    [JsonPropertyName("model_type")] public string ModelType { get; init; } = "distilbert";
    /// <summary>The HF class names the checkpoint was saved from.</summary>
    [JsonPropertyName("architectures")] public string[]? Architectures { get; init; }
    /// <summary>Number of WordPiece tokens.</summary>
    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; } = 30522;
    /// <summary>Longest sequence the learned positions cover.</summary>
    [JsonPropertyName("max_position_embeddings")] public int MaxPositionEmbeddings { get; init; } = 512;
    /// <summary>Sinusoidal (fixed) positions; only false (learned, what every released checkpoint uses) is supported.</summary>
    [JsonPropertyName("sinusoidal_pos_embds")] public bool SinusoidalPosEmbds { get; init; }
    /// <summary>Number of transformer layers.</summary>
    [JsonPropertyName("n_layers")] public int NLayers { get; init; } = 6;
    /// <summary>Number of attention heads; must divide <see cref="Dim"/>.</summary>
    [JsonPropertyName("n_heads")] public int NHeads { get; init; } = 12;
    /// <summary>Hidden width.</summary>
    [JsonPropertyName("dim")] public int Dim { get; init; } = 768;
    /// <summary>Feed-forward width.</summary>
    [JsonPropertyName("hidden_dim")] public int HiddenDim { get; init; } = 3072;
    /// <summary>Dropout on embeddings, attention output and feed-forward output.</summary>
    [JsonPropertyName("dropout")] public double Dropout { get; init; } = 0.1;
    /// <summary>Dropout on attention probabilities.</summary>
    [JsonPropertyName("attention_dropout")] public double AttentionDropout { get; init; } = 0.1;
    /// <summary>Feed-forward activation: "gelu" or "relu" (HF ACT2FN names; gelu_new too).</summary>
    [JsonPropertyName("activation")] public string Activation { get; init; } = "gelu";
    /// <summary>Standard deviation of the normal initialiser.</summary>
    [JsonPropertyName("initializer_range")] public double InitializerRange { get; init; } = 0.02;
    /// <summary>Dropout before the QA head.</summary>
    [JsonPropertyName("qa_dropout")] public double QaDropout { get; init; } = 0.1;
    /// <summary>Dropout before the sequence classifier.</summary>
    [JsonPropertyName("seq_classif_dropout")] public double SeqClassifDropout { get; init; } = 0.2;
    /// <summary>Id of [PAD].</summary>
    [JsonPropertyName("pad_token_id")] public int PadTokenId { get; init; }
    /// <summary>Whether the MLM projector shares the word embeddings (true for released checkpoints).</summary>
    [JsonPropertyName("tie_word_embeddings")] public bool TieWordEmbeddings { get; init; } = true;
    /// <summary>Label names by class index (HF's <c>id2label</c>).</summary>
    [JsonPropertyName("id2label")] [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public Dictionary<string, string>? Id2Label { get; init; }
    /// <summary>Class index of each label name (HF's <c>label2id</c>).</summary>
    [JsonPropertyName("label2id")] [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public Dictionary<string, int>? Label2Id { get; init; }
    /// <summary>HF's <c>problem_type</c>, e.g. "regression".</summary>
    [JsonPropertyName("problem_type")] [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? ProblemType { get; init; }

    /// <summary>DistilBERT's LayerNorms use a fixed epsilon (not in the config).</summary>
    [JsonIgnore] public double LayerNormEps => 1e-12;

    /// <summary>Size of one attention head.</summary>
    [JsonIgnore] public int HeadSize => Dim / NHeads;

    /// <summary>Throws an <see cref="ArgumentException"/> that names the first inconsistent field.</summary>
    public void Validate()
    {
        Require(ModelType is "distilbert", "model_type", $"is '{ModelType}', expected 'distilbert'");
        Require(VocabSize > 0, "vocab_size", "must be positive");
        Require(Dim > 0, "dim", "must be positive");
        Require(NLayers > 0, "n_layers", "must be positive");
        Require(NHeads > 0 && Dim % NHeads == 0, "n_heads", $"({NHeads}) must be positive and divide dim ({Dim})");
        Require(HiddenDim > 0, "hidden_dim", "must be positive");
        Require(Dropout is >= 0 and < 1, "dropout", "must be in [0, 1)");
        Require(AttentionDropout is >= 0 and < 1, "attention_dropout", "must be in [0, 1)");
        Require(QaDropout is >= 0 and < 1, "qa_dropout", "must be in [0, 1)");
        Require(SeqClassifDropout is >= 0 and < 1, "seq_classif_dropout", "must be in [0, 1)");
        Require(MaxPositionEmbeddings > 0, "max_position_embeddings", "must be positive");
        Require(!SinusoidalPosEmbds, "sinusoidal_pos_embds", "true is not supported; only learned positions are implemented");
        Require(Activation is "gelu" or "gelu_new" or "gelu_pytorch_tanh" or "relu", "activation", $"'{Activation}' is not supported (use gelu or relu)");
        Require(TieWordEmbeddings, "tie_word_embeddings", "false is not supported: the MLM projector is tied to the word embeddings");
    }

    private static void Require(bool ok, string field, string problem)
    {
        if (!ok) throw new ArgumentException($"DistilBERT config field '{field}' {problem}.", field);
    }
}
