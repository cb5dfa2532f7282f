using Microsoft.ML;
using MLNet.Transformers.Checkpoints;
using MLNet.Transformers.Estimators;
using MLNet.Transformers.Models.Bert;

namespace MLNet.Transformers.Tests.Examples;

/// <summary>
/// The small pretrained checkpoint the repo ships for examples/TextClassification (examples/data/bert-tiny-pretrained,
/// linked into TestData by the test project): its format, and that it loads as a trained masked LM.
/// </summary>
[TestClass]
public sealed class ShippedCheckpointTests
{
    private static string Checkpoint => Path.Combine(AppContext.BaseDirectory, "TestData", "bert-tiny-pretrained");

    [TestMethod]
    public void ShippedCheckpoint_IsAnHfBertTinyInBf16UnderFiveMegabytes_WithItsReadme()
    {
        var config = BertCheckpoint.ReadConfig(Checkpoint);
        Assert.AreEqual((2, 128), (config.NumHiddenLayers, config.HiddenSize));
        var weights = Path.Combine(Checkpoint, "model.safetensors");
        Assert.IsLessThan(5_000_000L, new FileInfo(weights).Length);
        var tensors = SafeTensors.Load(weights);
        try
        {
            Assert.IsTrue(tensors.Values.All(t => t.dtype == TorchSharp.torch.ScalarType.BFloat16), "every tensor is stored as bf16");
            Assert.IsTrue(tensors.ContainsKey("bert.pooler.dense.weight"), "the pooler (trained by NSP) is shipped");
        }
        finally { foreach (var t in tensors.Values) t.Dispose(); }
        foreach (var file in new[] { "vocab.txt", "tokenizer_config.json", "README.md" })
            Assert.IsTrue(File.Exists(Path.Combine(Checkpoint, file)), file);
    }

    [TestMethod]
    public void ShippedCheckpoint_FillsMasksWithTheLoadedModel()
    {
        var ml = new MLContext(seed: 1);
        var empty = ml.Data.LoadFromEnumerable(new[] { new TextRow() });
        using var model = ml.Transforms.Text.PretrainMaskedLanguageModel(new MaskedLanguageModelOptions { CheckpointDirectory = Checkpoint, MaxEpochs = 0 }).Fit(empty);
        var result = model.Predict(["the film is [MASK] ."]);
        Assert.HasCount(1, result);
        Assert.HasCount(5, result[0].Tokens);
        // A random model of this vocabulary gives every token ~1/8000; pretraining makes the top candidate far likelier.
        Assert.IsGreaterThan(0.01f, result[0].Scores[0], $"top candidate '{result[0].Tokens[0]}' has p = {result[0].Scores[0]:G3}");
    }

    private sealed class TextRow { public string Text { get; set; } = ""; }
}
