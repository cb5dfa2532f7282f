using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transformers.Estimators;
using MLNet.Transformers.FreshProcess;
using MLNet.Transformers.Tests.Checkpoints;
using MLNet.Transformers.Tests.Models;
using MLNet.Transformers.Tests.Persistence;

namespace MLNet.Transformers.Tests.Transforms;

/// <summary>GenerateText and the causal-LM scoring transformer as ML.NET components: schema, fixture tokens, Save/Load, PredictionEngine, fresh process.</summary>
[TestClass]
public sealed class TextGenerationTransformerTests
{
    private sealed class Prompt { public string Text { get; set; } = ""; }
    private sealed class Generated { public string Text { get; set; } = ""; public string Continuation { get; set; } = ""; public int[] Ids { get; set; } = []; }
    private sealed class Scored { public float LogLikelihood { get; set; } public int TokenCount { get; set; } }

    private static readonly string[] Prompts = ["The quick brown fox jumps over", "Hello", "", "Café naïve 東京"];

    [TestMethod]
    public void GenerateText_GivesTheFixtureGreedyTokens_AndTheirText()
    {
        var expected = Gpt2Fixture.Load();
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new Prompt { Text = "The quick brown fox jumps over" } });
        var options = new TextGenerationOptions { MaxNewTokens = 12, GeneratedTokenIdsColumnName = "Ids" };
        using var transformer = ml.Transforms.Text.GenerateText(Gpt2Fixture.Directory, "Continuation", "Text", options).Fit(data);
        var row = ml.Data.CreateEnumerable<Generated>(transformer.Transform(data), false).Single();
        CollectionAssert.AreEqual(expected.GreedyNewTokens, row.Ids);
        Assert.AreEqual(transformer.Tokenizer.Decode(expected.GreedyNewTokens), row.Continuation);
    }

    [TestMethod]
    public void GenerateText_BatchedRowsEqualOneRowAtATime()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Prompts.Select(p => new Prompt { Text = p }));
        var batched = Run(ml, data, new TextGenerationOptions { MaxNewTokens = 6, BatchSize = 4, GeneratedTokenIdsColumnName = "Ids" });
        var single = Run(ml, data, new TextGenerationOptions { MaxNewTokens = 6, BatchSize = 1, GeneratedTokenIdsColumnName = "Ids" });
        for (int i = 0; i < Prompts.Length; i++) CollectionAssert.AreEqual(single[i].Ids, batched[i].Ids, Prompts[i]);
    }

    [TestMethod]
    public void GenerateText_MissingOrMistypedColumn_FailsAtSchema()
    {
        var ml = new MLContext(seed: 1);
        var estimator = ml.Transforms.Text.GenerateText(Gpt2Fixture.Directory, "Out", "Prompt");
        var data = ml.Data.LoadFromEnumerable(new[] { new Prompt() });
        var e = Assert.Throws<ArgumentException>(() => estimator.Fit(data));
        StringAssert.Contains(e.Message, "Prompt");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.Text.GenerateText(Gpt2Fixture.Directory, "Out", "Text", new TextGenerationOptions { TopP = 0 }));
    }

    [TestMethod]
    public void Sampling_SaveLoad_PredictionEngine_AndFreshProcess_GiveTheSameText()
    {
        var ml = new MLContext(seed: 1);
        var data = ProbeData.Sample(ml);
        var options = new TextGenerationOptions { MaxNewTokens = 8, DoSample = true, TopK = 20, TopP = 0.9, Temperature = 0.8, Seed = 11, GeneratedTokenIdsColumnName = "Ids" };
        using var transformer = ml.Transforms.Text.GenerateText(Gpt2Fixture.Directory, "Continuation", "Text", options).Fit(data);
        var expected = ProbeColumns.Format(transformer.Transform(data), "Continuation").ToArray();
        using var dir = new TempDirectory();
        var path = dir.File("generate.zip");
        ml.Model.Save(transformer, data.Schema, path);
        var loaded = new MLContext(seed: 5).Model.Load(path, out _);
        CollectionAssert.AreEqual(expected, ProbeColumns.Format(loaded.Transform(data), "Continuation").ToArray());
        var engine = ml.Model.CreatePredictionEngine<ProbeData.Row, Generated>(loaded);
        for (int i = 0; i < ProbeData.Rows.Length; i++)
            Assert.AreEqual(expected[i], ProbeColumns.Escape(engine.Predict(ProbeData.Rows[i]).Continuation), $"row {i} via PredictionEngine");
        CollectionAssert.AreEqual(expected, FreshProcessRunner.Run(path, "--column", "Continuation"));
        Assert.IsTrue(expected.Distinct().Count() > 1);
    }

    [TestMethod]
    public void Scoring_SaveLoad_PredictionEngine_AndFreshProcess_GiveTheSameScores()
    {
        var ml = new MLContext(seed: 1);
        var data = ProbeData.Sample(ml);
        using var transformer = ml.Transforms.Text.PretrainCausalLanguageModel(new CausalLanguageModelOptions { CheckpointDirectory = Gpt2Fixture.Directory, MaxEpochs = 0 }).Fit(data);
        var expected = ProbeColumns.Format(transformer.Transform(data), "LogLikelihood").ToArray();
        var counts = ProbeColumns.Format(transformer.Transform(data), "TokenCount").ToArray();
        Assert.AreEqual("0", counts[1], "the empty text scores no tokens");
        using var dir = new TempDirectory();
        var path = dir.File("score.zip");
        ml.Model.Save(transformer, data.Schema, path);
        var loaded = ml.Model.Load(path, out _);
        CollectionAssert.AreEqual(expected, ProbeColumns.Format(loaded.Transform(data), "LogLikelihood").ToArray());
        var engine = ml.Model.CreatePredictionEngine<ProbeData.Row, Scored>(loaded);
        Assert.AreEqual(expected[0], engine.Predict(ProbeData.Rows[0]).LogLikelihood.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
        CollectionAssert.AreEqual(expected, FreshProcessRunner.Run(path, "--column", "LogLikelihood"));
        CollectionAssert.AreEqual(counts, FreshProcessRunner.Run(path, "--column", "TokenCount"));
    }

    private static List<Generated> Run(MLContext ml, IDataView data, TextGenerationOptions options)
    {
        using var transformer = ml.Transforms.Text.GenerateText(Gpt2Fixture.Directory, "Continuation", "Text", options).Fit(data);
        return ml.Data.CreateEnumerable<Generated>(transformer.Transform(data), false).ToList();
    }
}
