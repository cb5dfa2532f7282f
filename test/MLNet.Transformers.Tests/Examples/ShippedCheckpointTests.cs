using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transformers.Checkpoints;
using MLNet.Transformers.Estimators;
using MLNet.Transformers.Models.Bert;
using MLNet.Transformers.Training;

namespace MLNet.Transformers.Tests.Examples;

/// <summary>
/// The small pretrained checkpoint the repo ships for examples/TextClassification (examples/data/bert-tiny-pretrained,
/// linked into TestData by the test project): its format, and that fine-tuning starts from it.
/// </summary>
[TestClass]
public sealed class ShippedCheckpointTests
{
    private static string Checkpoint => Path.Combine(AppContext.BaseDirectory, "TestData", "bert-tiny-pretrained");

    private sealed class Review
    {
        [LoadColumn(0)] public string Sentence1 { get; set; } = "";
        [LoadColumn(1)] public bool Label { get; set; }
    }

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

    [TestMethod]
    public void ShippedCheckpoint_FineTunedOnSst2Rows_BeatsChanceOnDev()
    {
        var ml = new MLContext(seed: 1);
        var sst2 = Path.Combine(AppContext.BaseDirectory, "TestData", "sst2");
        var train = ml.Data.TakeRows(ml.Data.ShuffleRows(ml.Data.LoadFromTextFile<Review>(Path.Combine(sst2, "train.tsv"), '\t', hasHeader: true, allowQuoting: false), seed: 1), 1024);
        var dev = ml.Data.LoadFromTextFile<Review>(Path.Combine(sst2, "dev.tsv"), '\t', hasHeader: true, allowQuoting: false);
        var model = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.TextClassification(new TextClassificationOptions
            {
                CheckpointDirectory = Checkpoint, MaxEpochs = 1, BatchSize = 32, MaxSequenceLength = 64,
                Training = new TrainerOptions { LearningRate = 3e-4, Seed = 1 },
            }))
            .Fit(train);
        var accuracy = ml.MulticlassClassification.Evaluate(model.Transform(dev)).MicroAccuracy;
        Assert.IsGreaterThan(0.6, accuracy, $"SST-2 dev accuracy after 32 steps on 1024 rows: {accuracy:P1}");
    }

    private sealed class TextRow { public string Text { get; set; } = ""; }
}
