using Microsoft.ML;
using MLNet.Transformers.Checkpoints;
using MLNet.Transformers.Estimators;
using MLNet.Transformers.Models.Bert;
using MLNet.Transformers.Tests.Checkpoints;
using static TorchSharp.torch;

namespace MLNet.Transformers.Tests.Reliability;

/// <summary>
/// Issue 10, items 3 and 4: config.json is checked against the weights' safetensors headers and sane bounds before anything
/// is allocated (huge values were OOM-killed or crashed natively), and float weights stored as integers/bools or holding
/// NaN/Inf are refused with the tensor's name instead of loading silently wrong.
/// </summary>
[TestClass]
public sealed class CheckpointValueTests
{
    private static TinyBertCheckpoint tiny = null!;
    private TempDirectory temp = null!;

    [ClassInitialize]
    public static void CreateCheckpoint(TestContext _) => tiny = new TinyBertCheckpoint();

    [ClassCleanup]
    public static void DeleteCheckpoint() => tiny.Dispose();

    [TestInitialize]
    public void CreateTemp() => temp = new TempDirectory();

    [TestCleanup]
    public void DeleteTemp() => temp.Dispose();

    private string WithConfig(string field, string value) =>
        tiny.Variant(temp, editConfig: c => System.Text.RegularExpressions.Regex.Replace(c, $"\"{field}\": [^,\\n]+", $"\"{field}\": {value}"));

    [TestMethod]
    [DataRow("hidden_size", "16384")]
    [DataRow("intermediate_size", "100000")]
    [DataRow("max_position_embeddings", "1000000")]
    [DataRow("type_vocab_size", "1000")]
    [DataRow("num_hidden_layers", "400")]
    [DataRow("vocab_size", "100000")]
    public void ConfigDisagreeingWithTheWeightHeaders_IsNamedBeforeAllocation(string field, string value)
    {
        string dir = WithConfig(field, value);
        var e = Assert.ThrowsExactly<CheckpointFormatException>(() => BertCheckpoint.LoadEncoder(dir));
        StringAssert.Contains(e.Message, $"field '{field}' is {value}");
        StringAssert.Contains(e.Message, "config.json");
    }

    [TestMethod]
    [DataRow("vocab_size", "100000000")]
    [DataRow("num_hidden_layers", "100000")]
    [DataRow("hidden_size", "1000000")]
    [DataRow("pad_token_id", "99999")]
    [DataRow("pad_token_id", "-3")]
    public void OutOfRangeConfigValue_IsAnErrorNamingFieldAndFile(string field, string value)
    {
        string dir = WithConfig(field, value);
        var e = Assert.ThrowsExactly<ArgumentException>(() => BertCheckpoint.LoadEncoder(dir));
        StringAssert.Contains(e.Message, $"'{field}'");
        StringAssert.Contains(e.Message, "config.json");
    }

    [TestMethod]
    public void HugeModelConfigFromScratch_IsRefusedWithTheSizeInsteadOfAllocating()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new { Text = "the cat sat on the mat." } });
        var options = new MaskedLanguageModelOptions
        {
            ModelConfig = new BertConfig { HiddenSize = 16384, NumAttentionHeads = 64, IntermediateSize = 65536, NumHiddenLayers = 400 },
            VocabularySize = 100, NextSentencePrediction = false, Training = new MLNet.Transformers.Training.TrainerOptions { MaxSteps = 1 },
        };
        var e = Assert.ThrowsExactly<CheckpointFormatException>(() => ml.Transforms.Text.PretrainMaskedLanguageModel(options).Fit(data));
        StringAssert.Contains(e.Message, "hidden_size 16384");
        StringAssert.Contains(e.Message, "more than this machine's");
    }

    [TestMethod]
    [DataRow(ScalarType.Int32)]
    [DataRow(ScalarType.Int64)]
    [DataRow(ScalarType.Bool)]
    public void FloatWeightStoredAsIntegersOrBool_IsRefusedNamingTheTensor(ScalarType dtype)
    {
        string dir = tiny.Variant(temp, t => t.Select(kv => kv.Key.EndsWith("word_embeddings.weight") ? KeyValuePair.Create(kv.Key, kv.Value.mul(1e9).to(dtype)) : kv));
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => BertCheckpoint.LoadForPreTraining(dir));
        StringAssert.Contains(e.Message, "word_embeddings.weight is " + dtype);
    }

    [TestMethod]
    public void NonFiniteWeights_AreRefusedNamingTheTensor_UnlessAllowed()
    {
        string dir = tiny.Variant(temp, t => t.Select(kv => kv.Key.EndsWith("word_embeddings.weight")
            ? KeyValuePair.Create(kv.Key, kv.Value.index_put_(float.NaN, TensorIndex.Single(3), TensorIndex.Single(1)).index_put_(float.PositiveInfinity, TensorIndex.Single(4), TensorIndex.Single(0)))
            : kv));
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => BertCheckpoint.LoadForPreTraining(dir));
        StringAssert.Contains(e.Message, "tensor 'bert.embeddings.word_embeddings.weight' holds 2 NaN or infinite value(s)");
        StringAssert.Contains(e.Message, "CheckpointValidation.AllowNonFiniteWeights");

        CheckpointValidation.AllowNonFiniteWeights = true;
        try
        {
            using var model = BertCheckpoint.LoadForPreTraining(dir);
            Assert.IsTrue(float.IsNaN(model.state_dict()["bert.embeddings.word_embeddings.weight"][3, 1].item<float>()));
        }
        finally { CheckpointValidation.AllowNonFiniteWeights = false; }
    }

    [TestMethod]
    public void Float64WeightThatOverflowsFloat32_CountsAsNonFinite()
    {
        string dir = tiny.Variant(temp, t => t.Select(kv => kv.Key.EndsWith("pooler.dense.bias")
            ? KeyValuePair.Create(kv.Key, full(new long[] { 8 }, 1e300, ScalarType.Float64)) : kv));
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => BertCheckpoint.LoadEncoder(dir));
        StringAssert.Contains(e.Message, "pooler.dense.bias' holds 8 NaN or infinite");
    }
}
