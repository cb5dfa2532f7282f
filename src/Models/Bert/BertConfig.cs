using System.Text.Json.Serialization;

namespace MLNet.Transformers.Models.Bert;

/// <summary>
/// The hyper-parameters of a BERT model, read from and written to a Hugging Face <c>config.json</c>
/// (property names are the JSON keys of <c>transformers.BertConfig</c>).
/// </summary>
public sealed record BertConfig
{
    /// <summary>Always "bert" for this family.</summary>
    [JsonPropertyName("model_type")] public string ModelType { get; init; } = "bert";
    /// <summary>The HF class names the checkpoint was saved from, e.g. "BertForPreTraining".</summary>
    [JsonPropertyName("architectures")] public string[]? Architectures { get; init; }
    /// <summary>Number of WordPiece tokens in the vocabulary.</summary>
    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; } = 30522;
    /// <summary>Width of every hidden state.</summary>
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; init; } = 768;
    /// <summary>Number of encoder layers.</summary>
    [JsonPropertyName("num_hidden_layers")] public int NumHiddenLayers { get; init; } = 12;
    /// <summary>Number of attention heads; must divide <see cref="HiddenSize"/>.</summary>
    [JsonPropertyName("num_attention_heads")] public int NumAttentionHeads { get; init; } = 12;
    /// <summary>Width of the feed-forward layer inside each encoder layer.</summary>
    [JsonPropertyName("intermediate_size")] public int IntermediateSize { get; init; } = 3072;
    /// <summary>Activation of the feed-forward layer: "gelu" (erf), "gelu_new"/"gelu_pytorch_tanh" (tanh approximation) or "relu".</summary>
    [JsonPropertyName("hidden_act")] public string HiddenAct { get; init; } = "gelu";
    /// <summary>Dropout on embeddings and hidden states during training.</summary>
    [JsonPropertyName("hidden_dropout_prob")] public double HiddenDropoutProb { get; init; } = 0.1;
    /// <summary>Dropout on attention probabilities during training.</summary>
    [JsonPropertyName("attention_probs_dropout_prob")] public double AttentionProbsDropoutProb { get; init; } = 0.1;
    /// <summary>Longest sequence the learned position embeddings cover.</summary>
    [JsonPropertyName("max_position_embeddings")] public int MaxPositionEmbeddings { get; init; } = 512;
    /// <summary>Number of segment (token type) ids; 2 for sentence pairs.</summary>
    [JsonPropertyName("type_vocab_size")] public int TypeVocabSize { get; init; } = 2;
    /// <summary>Standard deviation of the normal initialiser for new weights.</summary>
    [JsonPropertyName("initializer_range")] public double InitializerRange { get; init; } = 0.02;
    /// <summary>Epsilon of every LayerNorm.</summary>
    [JsonPropertyName("layer_norm_eps")] public double LayerNormEps { get; init; } = 1e-12;
    /// <summary>Id of the [PAD] token.</summary>
    [JsonPropertyName("pad_token_id")] public int PadTokenId { get; init; }
    /// <summary>Only "absolute" (learned positions) is supported.</summary>
    [JsonPropertyName("position_embedding_type")] public string PositionEmbeddingType { get; init; } = "absolute";
    /// <summary>Whether the MLM decoder shares the word-embedding matrix (always true for BERT checkpoints).</summary>
    [JsonPropertyName("tie_word_embeddings")] public bool TieWordEmbeddings { get; init; } = true;
    /// <summary>Number of labels of a sequence-classification head (HF writes it as id2label; we keep the count).</summary>
    [JsonPropertyName("num_labels")] [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? NumLabels { get; init; }
    /// <summary>Label names of a classification head, keyed by class index as a string (HF's <c>id2label</c>).</summary>
    [JsonPropertyName("id2label")] [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public Dictionary<string, string>? Id2Label { get; init; }
    /// <summary>Class index of each label name (HF's <c>label2id</c>, the inverse of <see cref="Id2Label"/>).</summary>
    [JsonPropertyName("label2id")] [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public Dictionary<string, int>? Label2Id { get; init; }
    /// <summary>HF's <c>problem_type</c>: "regression", "single_label_classification" or "multi_label_classification"; null = inferred from the label count.</summary>
    [JsonPropertyName("problem_type")] [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? ProblemType { get; init; }
    /// <summary>Dropout before a classification head; null = <see cref="HiddenDropoutProb"/> (HF's <c>classifier_dropout</c>).</summary>
    [JsonPropertyName("classifier_dropout")] [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? ClassifierDropout { get; init; }

    /// <summary>Size of one attention head.</summary>
    [JsonIgnore] public int HeadSize => HiddenSize / NumAttentionHeads;

    /// <summary>Google's BERT-Tiny (L=2, H=128, A=2).</summary>
    public static BertConfig Tiny(int vocabSize = 30522) => Sized(vocabSize, layers: 2, hidden: 128);
    /// <summary>Google's BERT-Mini (L=4, H=256, A=4).</summary>
    public static BertConfig Mini(int vocabSize = 30522) => Sized(vocabSize, layers: 4, hidden: 256);
    /// <summary>Google's BERT-Small (L=4, H=512, A=8).</summary>
    public static BertConfig Small(int vocabSize = 30522) => Sized(vocabSize, layers: 4, hidden: 512);
    /// <summary>Google's BERT-Medium (L=8, H=512, A=8).</summary>
    public static BertConfig Medium(int vocabSize = 30522) => Sized(vocabSize, layers: 8, hidden: 512);
    /// <summary>BERT-Base (L=12, H=768, A=12).</summary>
    public static BertConfig Base(int vocabSize = 30522) => Sized(vocabSize, layers: 12, hidden: 768);

    // Google's size table (github.com/google-research/bert): heads = H/64, feed-forward = 4H.
    private static BertConfig Sized(int vocabSize, int layers, int hidden) => new()
    {
        VocabSize = vocabSize,
        NumHiddenLayers = layers,
        HiddenSize = hidden,
        NumAttentionHeads = hidden / 64,
        IntermediateSize = 4 * hidden,
    };

    /// <summary>Throws an <see cref="ArgumentException"/> that names the first inconsistent field.</summary>
    public void Validate() => Validate("BERT", "bert");

    /// <summary>
    /// The validation of every BERT-shaped config (HF's <c>RobertaConfig</c> subclasses <c>BertConfig</c>): the error names
    /// <paramref name="family"/> (e.g. "RoBERTa") and model_type must be <paramref name="modelType"/>.
    /// </summary>
    internal void Validate(string family, string modelType)
    {
        void Require(bool ok, string field, string problem)
        {
            if (!ok) throw new ArgumentException($"{family} config field '{field}' {problem}.", field);
        }
        Require(ModelType == modelType, "model_type", $"is '{ModelType}', expected '{modelType}'");
        Require(VocabSize > 0, "vocab_size", "must be positive");
        Require(HiddenSize > 0, "hidden_size", "must be positive");
        Require(NumHiddenLayers > 0, "num_hidden_layers", "must be positive");
        Require(NumAttentionHeads > 0 && HiddenSize % NumAttentionHeads == 0, "num_attention_heads",
            $"({NumAttentionHeads}) must be positive and divide hidden_size ({HiddenSize})");
        Require(IntermediateSize > 0, "intermediate_size", "must be positive");
        Require(MaxPositionEmbeddings > 0, "max_position_embeddings", "must be positive");
        Require(TypeVocabSize > 0, "type_vocab_size", "must be positive");
        Require(LayerNormEpsilonRange.Contains(LayerNormEps), "layer_norm_eps", LayerNormEpsilonRange.Problem(LayerNormEps));
        Require(HiddenDropoutProb is >= 0 and < 1, "hidden_dropout_prob", "must be in [0, 1)");
        Require(AttentionProbsDropoutProb is >= 0 and < 1, "attention_probs_dropout_prob", "must be in [0, 1)");
        Require(ClassifierDropout is null or (>= 0 and < 1), "classifier_dropout", "must be in [0, 1) or null");
        Require(HiddenAct is "gelu" or "gelu_new" or "gelu_pytorch_tanh" or "relu", "hidden_act",
            $"'{HiddenAct}' is not supported (use gelu, gelu_new, gelu_pytorch_tanh or relu)");
        Require(PositionEmbeddingType is "absolute", "position_embedding_type",
            $"'{PositionEmbeddingType}' is not supported; only 'absolute' position embeddings are implemented");
        Require(TieWordEmbeddings, "tie_word_embeddings", $"false is not supported: {family}'s MLM decoder is tied to the word embeddings");
        Require(PadTokenId >= 0 && PadTokenId < VocabSize, "pad_token_id", $"({PadTokenId}) must be a token id in [0, vocab_size = {VocabSize})");
        // Upper bounds far above any published BERT, so a typo fails here with the field's name instead of in a native allocation.
        Require(VocabSize <= MaxVocabSize, "vocab_size", $"({VocabSize}) is larger than {MaxVocabSize}");
        Require(HiddenSize <= MaxHiddenSize, "hidden_size", $"({HiddenSize}) is larger than {MaxHiddenSize}");
        Require(IntermediateSize <= MaxIntermediateSize, "intermediate_size", $"({IntermediateSize}) is larger than {MaxIntermediateSize}");
        Require(NumHiddenLayers <= MaxLayers, "num_hidden_layers", $"({NumHiddenLayers}) is larger than {MaxLayers}");
        Require(MaxPositionEmbeddings <= MaxPositions, "max_position_embeddings", $"({MaxPositionEmbeddings}) is larger than {MaxPositions}");
        Require(TypeVocabSize <= MaxTypeVocabSize, "type_vocab_size", $"({TypeVocabSize}) is larger than {MaxTypeVocabSize}");
    }

    private const int MaxVocabSize = 1 << 22, MaxHiddenSize = 1 << 15, MaxIntermediateSize = 1 << 17, MaxLayers = 512,
        MaxPositions = 1 << 20, MaxTypeVocabSize = 1 << 10;

    /// <summary>Number of parameters of the encoder with pooler, MLM and NSP heads (what allocating the model costs).</summary>
    [JsonIgnore] public long ParameterCount
    {
        get
        {
            long h = HiddenSize, i = IntermediateSize;
            long embeddings = ((long)VocabSize + MaxPositionEmbeddings + TypeVocabSize + 2) * h;
            long layer = 4 * (h * h + h) + 2 * h * i + i + h + 4 * h;
            long heads = (h * h + h) + (h * h + 3 * h) + VocabSize + 2 * h + 2;   // pooler, MLM transform + bias, NSP
            return embeddings + NumHiddenLayers * layer + heads;
        }
    }
}
