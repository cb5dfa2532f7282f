using System.Text.Json.Nodes;
using Microsoft.ML;
using MLNet.Transformers.Estimators;
using MLNet.Transformers.Tests.Checkpoints;
using MLNet.Transformers.Tests.Models;
using MLNet.Transformers.Tests.Models.T5;

namespace MLNet.Transformers.Tests.Reliability;

/// <summary>
/// Issue 20: <c>layer_norm_eps = 1e308</c> was accepted and silently turned every layer norm's output into its bias (1e308 is
/// +∞ in float32). A config whose epsilon is outside (0, 0.1] is refused at load, naming config.json's field, in every family.
/// </summary>
[TestClass]
public sealed class LayerNormEpsilonTests
{
    private sealed class Row { public string Text { get; set; } = ""; public string Target { get; set; } = ""; }

    // A copy of a fixture folder with config.json's field set to value.
    private static TempDirectory WithConfig(string fixture, string field, double value)
    {
        var dir = new TempDirectory();
        foreach (var file in Directory.GetFiles(fixture)) File.Copy(file, dir.File(Path.GetFileName(file)));
        var config = JsonNode.Parse(File.ReadAllText(dir.File("config.json")))!.AsObject();
        config[field] = value;
        File.WriteAllText(dir.File("config.json"), config.ToJsonString());
        return dir;
    }

    [TestMethod]
    [DataRow(1e308)]
    [DataRow(0.5)]
    public void HugeLayerNormEpsilon_IsRefusedNamingTheField_Bert_Gpt2_T5(double epsilon)
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new Row { Text = "the cat", Target = "a" } });

        using (var bert = WithConfig(BertParityTests.FixtureDirectory, "layer_norm_eps", epsilon))
            StringAssert.Contains(Assert.Throws<Exception>(() => ml.Transforms.Text.TransformerEmbedding(bert.Path, "E", "Text").Fit(data)).Message, "layer_norm_eps");
        using (var gpt2 = WithConfig(Gpt2Fixture.Directory, "layer_norm_epsilon", epsilon))
            StringAssert.Contains(Assert.Throws<Exception>(() => ml.Transforms.Text.GenerateText(gpt2.Path, "Out", "Text").Fit(data)).Message, "layer_norm_epsilon");
        using (var t5 = WithConfig(T5Fixture.Directory, "layer_norm_epsilon", epsilon))
            StringAssert.Contains(Assert.Throws<Exception>(() => ml.Transforms.Text.TextToText(t5.Path, "Out", "Text", "Target",
                new TextToTextOptions { MaxEpochs = 0 }).Fit(data)).Message, "layer_norm_epsilon");
    }
}
