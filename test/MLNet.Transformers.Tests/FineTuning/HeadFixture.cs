using System.Text.Json.Nodes;
using MLNet.Transformers.Checkpoints;
using MLNet.Transformers.Tests.Checkpoints;
using MLNet.Transformers.Tests.Models;
using static TorchSharp.torch;

namespace MLNet.Transformers.Tests.FineTuning;

/// <summary>
/// HF-layout classifier checkpoints built from the bert-tiny-random fixture: its weights plus a <c>classifier.*</c> head
/// with known random values and the config fields HF writes (id2label/label2id, problem_type). Reference outputs come
/// from HF's formulas applied to the fixture's HF-computed pooler / last hidden state (see BertParityTests).
/// </summary>
internal sealed class HeadFixture : IDisposable
{
    private readonly TempDirectory directory = new();

    /// <param name="numLabels">Rows of classifier.weight.</param>
    /// <param name="names">id2label names, or null to write none.</param>
    /// <param name="regression">Write problem_type "regression".</param>
    /// <param name="dropPooler">Leave the pooler out (as HF's BertForTokenClassification saves).</param>
    /// <param name="renameKey">Optional key rewrite (e.g. drop the bert. prefix, legacy gamma/beta).</param>
    /// <param name="storage">Storage dtype of every tensor (f16/bf16 checkpoints).</param>
    public HeadFixture(int numLabels, string[]? names = null, bool regression = false, bool dropPooler = false,
        Func<string, string>? renameKey = null, ScalarType storage = ScalarType.Float32)
    {
        foreach (var file in new[] { "vocab.txt", "tokenizer_config.json" })
            File.Copy(System.IO.Path.Combine(BertParityTests.FixtureDirectory, file), System.IO.Path.Combine(Path, file));
        var generator = new Generator(1234);
        Weight = randn(numLabels, 32, dtype: ScalarType.Float64, generator: generator) * 0.5;
        Bias = randn(numLabels, dtype: ScalarType.Float64, generator: generator) * 0.1;
        var tensors = CheckpointLoader.LoadStateDict(BertParityTests.FixtureDirectory)
            .Where(kv => !kv.Key.StartsWith("cls.") && !(dropPooler && kv.Key.Contains("pooler.")))
            .ToDictionary(kv => kv.Key, kv => kv.Value);
        tensors["classifier.weight"] = Weight.to(ScalarType.Float32);
        tensors["classifier.bias"] = Bias.to(ScalarType.Float32);
        CheckpointLoader.SaveStateDict(Path, tensors.ToDictionary(kv => (renameKey ?? (k => k))(kv.Key), kv => kv.Value.to(storage)));
        if (storage != ScalarType.Float32)
        {   // the reference uses the weights as stored
            Weight = Weight.to(storage).to(ScalarType.Float64);
            Bias = Bias.to(storage).to(ScalarType.Float64);
        }

        var config = JsonNode.Parse(File.ReadAllText(System.IO.Path.Combine(BertParityTests.FixtureDirectory, "config.json")))!.AsObject();
        config["architectures"] = new JsonArray(dropPooler ? "BertForTokenClassification" : "BertForSequenceClassification");
        if (names is not null)
        {
            config["id2label"] = new JsonObject(names.Select((n, i) => KeyValuePair.Create(i.ToString(), (JsonNode?)n)));
            config["label2id"] = new JsonObject(names.Select((n, i) => KeyValuePair.Create(n, (JsonNode?)i)));
        }
        if (regression) config["problem_type"] = "regression";
        File.WriteAllText(System.IO.Path.Combine(Path, "config.json"), config.ToJsonString());
    }

    public string Path => directory.Path;

    /// <summary>classifier.weight (L, 32) and classifier.bias (L) in float64.</summary>
    public Tensor Weight { get; }
    public Tensor Bias { get; }

    /// <summary>HF BertForSequenceClassification in eval mode: classifier(dropout(pooler_output)) → (B, L) logits.</summary>
    public Tensor SequenceLogits(BertParityTests.Expected expected) => expected.PoolerOutput.matmul(Weight.t()) + Bias;

    /// <summary>HF BertForTokenClassification in eval mode: classifier(dropout(last_hidden_state)) → (B, T, L) logits.</summary>
    public Tensor TokenLogits(BertParityTests.Expected expected) => expected.LastHiddenState.matmul(Weight.t()) + Bias;

    public void Dispose() => directory.Dispose();
}
