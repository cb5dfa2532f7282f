using System.Text.Json.Serialization;
using MLNet.Transformers.Checkpoints;

namespace MLNet.Transformers.Tests.Checkpoints;

[TestClass]
public sealed class ConfigFileTests
{
    /// <summary>A cut-down BERT config, shaped like the records the model folders define.</summary>
    public sealed record TinyConfig(
        [property: JsonPropertyName("hidden_size")] int HiddenSize,
        [property: JsonPropertyName("layer_norm_eps")] double LayerNormEps,
        [property: JsonPropertyName("hidden_act")] string HiddenAct);

    private TempDirectory _dir = null!;

    [TestInitialize]
    public void CreateDirectory() => _dir = new TempDirectory();

    [TestCleanup]
    public void DeleteDirectory() => _dir.Dispose();

    [TestMethod]
    public void Config_LoadsTheBertFixtureConfigIgnoringUnknownFields()
    {
        var config = ConfigFile.Load<TinyConfig>(Path.Combine(AppContext.BaseDirectory, "TestData", "bert-tiny-random", "config.json"));
        Assert.AreEqual(new TinyConfig(32, 1e-12, "gelu"), config);
    }

    [TestMethod]
    public void Config_SaveThenLoadRoundTripsWithJsonNames()
    {
        string path = _dir.File("config.json");
        var config = new TinyConfig(64, 1e-6, "gelu_new");
        ConfigFile.Save(path, config);

        StringAssert.Contains(File.ReadAllText(path), "\"hidden_size\": 64");
        Assert.AreEqual(config, ConfigFile.Load<TinyConfig>(path));
    }

    [TestMethod]
    public void Config_ReportsMissingFile()
    {
        string path = _dir.File("config.json");
        var e = Assert.ThrowsExactly<CheckpointFormatException>(() => ConfigFile.Load<TinyConfig>(path));
        Assert.AreEqual(path, e.FilePath);
        StringAssert.Contains(e.Message, "not found");
    }

    [TestMethod]
    public void Config_ReportsInvalidJsonWithFileAndLine()
    {
        string path = _dir.File("config.json");
        File.WriteAllText(path, "{\n  \"hidden_size\": 32,\n  \"hidden_act\": \n}");
        var e = Assert.ThrowsExactly<CheckpointFormatException>(() => ConfigFile.Load<TinyConfig>(path));
        StringAssert.Contains(e.Message, path);
        StringAssert.Contains(e.Message, "line 4");
    }

    [TestMethod]
    public void Config_ReportsWrongFieldTypeByName()
    {
        string path = _dir.File("config.json");
        File.WriteAllText(path, """{"hidden_size": "thirty-two", "layer_norm_eps": 1e-12, "hidden_act": "gelu"}""");
        var e = Assert.ThrowsExactly<CheckpointFormatException>(() => ConfigFile.Load<TinyConfig>(path));
        StringAssert.Contains(e.Message, path);
        StringAssert.Contains(e.Message, "$.hidden_size");
    }

    [TestMethod]
    public void Config_ReportsNullDocument()
    {
        string path = _dir.File("config.json");
        File.WriteAllText(path, "null");
        var e = Assert.ThrowsExactly<CheckpointFormatException>(() => ConfigFile.Load<TinyConfig>(path));
        StringAssert.Contains(e.Message, "JSON null");
    }
}
