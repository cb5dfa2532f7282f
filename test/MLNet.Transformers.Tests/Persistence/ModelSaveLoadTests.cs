using System.Diagnostics;
using Microsoft.ML;
using MLNet.Transformers.FreshProcess;
using MLNet.Transformers.Tests.Infrastructure;

namespace MLNet.Transformers.Tests.Persistence;

[TestClass]
public sealed class ModelSaveLoadTests
{
    private sealed class Prediction
    {
        public float[] Stats { get; set; } = [];
        public string StatsSummary { get; set; } = "";
    }

    /// <summary>A pipeline mixing our transformer with ML.NET's own transforms, fitted and saved to a temp zip.</summary>
    private static (string Path, string[] Expected) SavePipeline(MLContext ml, TextStatsFixture fixture)
    {
        var data = ProbeData.Sample(ml);
        var model = fixture.Estimator(batchSize: 2)
            .Append(ml.Transforms.Concatenate("Features", "Stats", "Id"))
            .Fit(data);
        string path = Path.Combine(Path.GetTempPath(), "mlnet-transformers-test-" + Guid.NewGuid().ToString("N") + ".zip");
        ml.Model.Save(model, data.Schema, path);
        return (path, ProbeData.Format(model.Transform(data)).ToArray());
    }

    [TestMethod]
    public void ModelSaveLoad_TwiceInOneProcess_GivesIdenticalOutputs()
    {
        using var fixture = new TextStatsFixture();
        var ml = new MLContext(seed: 1);
        var (path, expected) = SavePipeline(ml, fixture);
        try
        {
            for (int load = 0; load < 2; load++)
            {
                var loaded = new MLContext(seed: 1).Model.Load(path, out var inputSchema);
                Assert.IsNotNull(inputSchema.GetColumnOrNull("Text"));
                CollectionAssert.AreEqual(expected, ProbeData.Format(loaded.Transform(ProbeData.Sample(ml))).ToArray(), $"load {load + 1}");
            }
        }
        finally { File.Delete(path); }
    }

    [TestMethod]
    public void LoadedModel_WorksInPredictionEngine()
    {
        using var fixture = new TextStatsFixture();
        var ml = new MLContext(seed: 1);
        var (path, _) = SavePipeline(ml, fixture);
        try
        {
            var engine = ml.Model.CreatePredictionEngine<ProbeData.Row, Prediction>(ml.Model.Load(path, out _));
            var row = ProbeData.Rows[0];
            CollectionAssert.AreEqual(TextStatsFixture.Expected(row), engine.Predict(row).Stats);
        }
        finally { File.Delete(path); }
    }

    [TestMethod]
    public void ModelLoad_InFreshProcess_PrintsSameOutputs()
    {
        using var fixture = new TextStatsFixture();
        var ml = new MLContext(seed: 1);
        var (path, expected) = SavePipeline(ml, fixture);
        try
        {
            // The fresh process knows only MLContext, our library and the assembly defining TextStatsTransformer.
            CollectionAssert.AreEqual(expected, FreshProcessRunner.Run(path));
        }
        finally { File.Delete(path); }
    }

    [TestMethod]
    public void ModelLoad_RestoresCheckpointDirectoryAndDeletesTheTemporaryCopy()
    {
        using var fixture = new TextStatsFixture(scale: 3f);
        var ml = new MLContext(seed: 1);
        var (path, expected) = SavePipeline(ml, fixture);
        var before = Directory.GetDirectories(Path.GetTempPath(), "mlnet-transformers-*").ToHashSet();
        try
        {
            fixture.Dispose();   // the model must not depend on the original checkpoint directory
            var loaded = ml.Model.Load(path, out _);
            CollectionAssert.AreEqual(expected, ProbeData.Format(loaded.Transform(ProbeData.Sample(ml))).ToArray());
            StringAssert.StartsWith(expected[0], "63 6 |", "scale 3 from the saved config.json: 21 characters × 3, 6 words");
            Assert.IsEmpty(Directory.GetDirectories(Path.GetTempPath(), "mlnet-transformers-*").Except(before));
        }
        finally { File.Delete(path); }
    }
}
