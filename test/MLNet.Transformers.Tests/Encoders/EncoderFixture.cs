using System.Text.Json.Nodes;
using MLNet.Transformers.Checkpoints;
using MLNet.Transformers.Tests.Checkpoints;
using static TorchSharp.torch;

namespace MLNet.Transformers.Tests.Encoders;

/// <summary>
/// Tiny random RoBERTa / DistilBERT checkpoints written in Hugging Face layout (the keys HF's <c>save_pretrained</c> writes for
/// each task class), with the float64 weights kept for <see cref="HfReference"/>. Weights are drawn with a fixed generator and
/// scaled like trained ones (std 0.2; LayerNorm weights near 1) so that every path matters numerically.
/// </summary>
internal sealed class EncoderFixture : IDisposable
{
    public const int Hidden = 32, Layers = 2, Heads = 4, Intermediate = 37, Labels = 3;
    private readonly TempDirectory directory = new();
    private readonly Generator generator;

    private EncoderFixture(string modelType, int vocabSize, long seed)
    {
        ModelType = modelType;
        VocabSize = vocabSize;
        generator = new Generator((ulong)seed);
    }

    public string ModelType { get; }
    public int VocabSize { get; }
    public string Path => directory.Path;
    /// <summary>Every weight of every head, float64, by HF key (task-model names).</summary>
    public Dictionary<string, Tensor> W { get; } = new();

    /// <summary>A RoBERTa checkpoint (pad_token_id 1, max_position_embeddings 40 → 38 tokens, type_vocab_size 1, layer_norm_eps 1e-5).</summary>
    public static EncoderFixture Roberta(int vocabSize = 99, long seed = 7)
    {
        var f = new EncoderFixture("roberta", vocabSize, seed);
        f.Embedding("roberta.embeddings.word_embeddings", vocabSize);
        f.Embedding("roberta.embeddings.position_embeddings", 40);
        f.Embedding("roberta.embeddings.token_type_embeddings", 1);
        f.Norm("roberta.embeddings.LayerNorm", Hidden);
        for (int i = 0; i < Layers; i++)
        {
            var p = $"roberta.encoder.layer.{i}.";
            foreach (var n in new[] { "query", "key", "value" }) f.Linear(p + "attention.self." + n, Hidden, Hidden);
            f.Linear(p + "attention.output.dense", Hidden, Hidden); f.Norm(p + "attention.output.LayerNorm", Hidden);
            f.Linear(p + "intermediate.dense", Intermediate, Hidden);
            f.Linear(p + "output.dense", Hidden, Intermediate); f.Norm(p + "output.LayerNorm", Hidden);
        }
        f.Linear("roberta.pooler.dense", Hidden, Hidden);
        f.Linear("classifier.dense", Hidden, Hidden); f.Linear("classifier.out_proj", Labels, Hidden);
        f.Linear("token.classifier", Labels, Hidden);      // written as classifier.* in the token-classification folder
        f.Linear("qa_outputs", 2, Hidden);
        f.Linear("lm_head.dense", Hidden, Hidden); f.Norm("lm_head.layer_norm", Hidden);
        f.W["lm_head.bias"] = f.Random(vocabSize);
        f.Config = new JsonObject
        {
            ["model_type"] = "roberta", ["vocab_size"] = vocabSize, ["hidden_size"] = Hidden, ["num_hidden_layers"] = Layers,
            ["num_attention_heads"] = Heads, ["intermediate_size"] = Intermediate, ["hidden_act"] = "gelu",
            ["max_position_embeddings"] = 40, ["type_vocab_size"] = 1, ["layer_norm_eps"] = 1e-5, ["pad_token_id"] = 1,
            ["bos_token_id"] = 0, ["eos_token_id"] = 2, ["hidden_dropout_prob"] = 0.1, ["attention_probs_dropout_prob"] = 0.1,
        };
        return f;
    }

    /// <summary>A DistilBERT checkpoint (dim 32, 2 layers, 4 heads, hidden_dim 37, gelu, 40 positions).</summary>
    public static EncoderFixture DistilBert(int vocabSize = 99, long seed = 11)
    {
        var f = new EncoderFixture("distilbert", vocabSize, seed);
        f.Embedding("distilbert.embeddings.word_embeddings", vocabSize);
        f.Embedding("distilbert.embeddings.position_embeddings", 40);
        f.Norm("distilbert.embeddings.LayerNorm", Hidden);
        for (int i = 0; i < Layers; i++)
        {
            var p = $"distilbert.transformer.layer.{i}.";
            foreach (var n in new[] { "q_lin", "k_lin", "v_lin", "out_lin" }) f.Linear(p + "attention." + n, Hidden, Hidden);
            f.Norm(p + "sa_layer_norm", Hidden);
            f.Linear(p + "ffn.lin1", Intermediate, Hidden); f.Linear(p + "ffn.lin2", Hidden, Intermediate);
            f.Norm(p + "output_layer_norm", Hidden);
        }
        f.Linear("pre_classifier", Hidden, Hidden); f.Linear("classifier", Labels, Hidden);
        f.Linear("token.classifier", Labels, Hidden);
        f.Linear("qa_outputs", 2, Hidden);
        f.Linear("vocab_transform", Hidden, Hidden); f.Norm("vocab_layer_norm", Hidden);
        f.W["vocab_projector.bias"] = f.Random(vocabSize);
        f.Config = new JsonObject
        {
            ["model_type"] = "distilbert", ["vocab_size"] = vocabSize, ["dim"] = Hidden, ["n_layers"] = Layers, ["n_heads"] = Heads,
            ["hidden_dim"] = Intermediate, ["activation"] = "gelu", ["max_position_embeddings"] = 40, ["pad_token_id"] = 0,
            ["dropout"] = 0.1, ["attention_dropout"] = 0.1, ["seq_classif_dropout"] = 0.2, ["qa_dropout"] = 0.1, ["sinusoidal_pos_embds"] = false,
        };
        return f;
    }

    public JsonObject Config { get; private set; } = new();

    /// <summary>
    /// Writes a checkpoint folder for one HF class: "Model" (bare encoder, keys without prefix), "SequenceClassification",
    /// "TokenClassification", "QuestionAnswering", "MaskedLM" or "Pretrained" (encoder with prefix + pooler, no head).
    /// Returns the folder.
    /// </summary>
    public string Write(string kind, bool withPooler = true, IReadOnlyDictionary<string, string>? id2label = null)
    {
        string prefix = ModelType + ".";
        string folder = System.IO.Path.Combine(Path, kind + (withPooler ? "" : "-nopool"));
        Directory.CreateDirectory(folder);
        bool IsEncoder(string k) => k.StartsWith(prefix, StringComparison.Ordinal) && (withPooler || !k.Contains(".pooler.", StringComparison.Ordinal));
        bool IsHead(string k) => kind switch
        {
            "SequenceClassification" => k.StartsWith("classifier.", StringComparison.Ordinal) || k.StartsWith("pre_classifier.", StringComparison.Ordinal),
            "TokenClassification" => k.StartsWith("token.", StringComparison.Ordinal),
            "QuestionAnswering" => k.StartsWith("qa_outputs.", StringComparison.Ordinal),
            "MaskedLM" => k.StartsWith("lm_head.", StringComparison.Ordinal) || k.StartsWith("vocab_", StringComparison.Ordinal),
            _ => false,
        };
        var tensors = new Dictionary<string, Tensor>();
        foreach (var (k, v) in W)
        {
            if (IsEncoder(k)) tensors[kind == "Model" ? k[prefix.Length..] : k] = v.to(ScalarType.Float32);
            else if (IsHead(k)) tensors[k.StartsWith("token.", StringComparison.Ordinal) ? k["token.".Length..] : k] = v.to(ScalarType.Float32);
        }
        CheckpointLoader.SaveStateDict(folder, tensors);
        var config = Config.DeepClone().AsObject();
        string family = ModelType == "roberta" ? "Roberta" : "DistilBert";
        config["architectures"] = new JsonArray(family + (kind is "Model" or "Pretrained" ? "Model" : "For" + kind));
        if (id2label is not null)
        {
            config["id2label"] = new JsonObject(id2label.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value)));
            config["label2id"] = new JsonObject(id2label.Select(kv => KeyValuePair.Create(kv.Value, (JsonNode?)int.Parse(kv.Key))));
        }
        File.WriteAllText(System.IO.Path.Combine(folder, "config.json"), config.ToJsonString());
        return folder;
    }

    private Tensor Random(params long[] shape) => randn(shape, dtype: ScalarType.Float64, generator: generator) * 0.2;

    private void Linear(string name, long outputs, long inputs)
    {
        W[name + ".weight"] = Random(outputs, inputs);
        W[name + ".bias"] = Random(outputs);
    }

    private void Embedding(string name, long rows) => W[name + ".weight"] = randn(rows, Hidden, dtype: ScalarType.Float64, generator: generator) * 0.5;

    private void Norm(string name, long size)
    {
        W[name + ".weight"] = 1.0 + Random(size);
        W[name + ".bias"] = Random(size);
    }

    public void Dispose()
    {
        foreach (var t in W.Values) t.Dispose();
        directory.Dispose();
    }
}
