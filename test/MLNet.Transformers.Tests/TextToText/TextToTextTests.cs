using Microsoft.ML;
using MLNet.Transformers.Estimators;
using MLNet.Transformers.FreshProcess;
using MLNet.Transformers.Models.T5;
using MLNet.Transformers.Tests.Checkpoints;
using MLNet.Transformers.Tests.FineTuning;
using MLNet.Transformers.Tests.Models.T5;
using MLNet.Transformers.Tests.Persistence;
using MLNet.Transformers.Training;
using static TorchSharp.torch;

namespace MLNet.Transformers.Tests.TextToText;

/// <summary>TextToText on the tiny random T5: fixture greedy tokens, teacher-forced log-likelihood, beam search, learning, persistence, schema errors.</summary>
[TestClass]
public sealed class TextToTextTests
{
    internal sealed class Pair { public string Source { get; set; } = ""; public string Target { get; set; } = ""; }
    private sealed class Output { public string Generated { get; set; } = ""; public int[] Ids { get; set; } = []; public float TargetLogLikelihood { get; set; } }

    // A toy task for the tiny model: a word → its fixed partner word.
    internal static readonly Pair[] Toy =
    [
        new() { Source = "partner: red", Target = "green" }, new() { Source = "partner: cat", Target = "dog" },
        new() { Source = "partner: sun", Target = "moon" }, new() { Source = "partner: up", Target = "down" },
        new() { Source = "partner: hot", Target = "cold" }, new() { Source = "partner: day", Target = "night" },
        new() { Source = "partner: left", Target = "right" }, new() { Source = "partner: big", Target = "small" },
    ];

    [TestMethod]
    public void MaxEpochsZero_GivesTheFixtureGreedyTokens_WithAndWithoutCache()
    {
        using var threads = new SingleThreadedTorch();
        var expected = T5Fixture.Load();
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new Pair { Source = expected.Texts[0] } });
        foreach (bool cache in new[] { true, false })
        {
            var options = new TextToTextOptions { MaxEpochs = 0, Generation = new() { MaxNewTokens = 10, UseCache = cache, GeneratedTokenIdsColumnName = "Ids" } };
            using var transformer = ml.Transforms.Text.TextToText(T5Fixture.Directory, options: options).Fit(data);
            var row = ml.Data.CreateEnumerable<Output>(transformer.Transform(data), false, ignoreMissingColumns: true).Single();
            CollectionAssert.AreEqual(expected.GreedyNewTokenIds.Select(i => (int)i).ToArray(), row.Ids, $"cache = {cache}");
            Assert.AreEqual(transformer.Tokenizer.Decode(row.Ids), row.Generated);
        }
    }

    [TestMethod]
    public void TargetLogLikelihood_IsTheHandSumOfTeacherForcedLogSoftmax()
    {
        using var threads = new SingleThreadedTorch();
        var ml = new MLContext(seed: 1);
        var pairs = new[] { new Pair { Source = "translate English to German: The house is wonderful.", Target = "Das Haus ist wunderbar." },
                            new Pair { Source = "summarize: short", Target = "a much longer target than the source" } };
        var data = ml.Data.LoadFromEnumerable(pairs);
        var options = new TextToTextOptions { MaxEpochs = 0, TargetLogLikelihoodColumnName = "TargetLogLikelihood", Generation = new() { MaxNewTokens = 2 } };
        using var transformer = ml.Transforms.Text.TextToText(T5Fixture.Directory, options: options).Fit(data);
        var scores = ml.Data.CreateEnumerable<Output>(transformer.Transform(data), false, ignoreMissingColumns: true).Select(r => r.TargetLogLikelihood).ToArray();

        using var model = T5Checkpoint.Load(T5Fixture.Directory);
        model.eval();
        for (int i = 0; i < pairs.Length; i++)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var source = transformer.Tokenizer.Encode(pairs[i].Source).Select(x => (long)x).ToArray();
            var target = transformer.Tokenizer.Encode(pairs[i].Target).Select(x => (long)x).ToArray();
            var decoderInput = new long[] { model.Config.DecoderStartTokenId }.Concat(target[..^1]).ToArray();
            var logits = model.forward(tensor(source).unsqueeze(0), ones(1, source.Length, dtype: ScalarType.Int64), tensor(decoderInput).unsqueeze(0));
            var logProbs = logits[0].to(ScalarType.Float64).log_softmax(-1);
            double sum = 0;
            for (int t = 0; t < target.Length; t++) sum += logProbs[t, target[t]].item<double>();
            Assert.AreEqual(sum, scores[i], 1e-4 * Math.Abs(sum), $"pair {i}");
        }
    }

    [TestMethod]
    public void BeamSearch_IsTheSameWithAndWithoutCache_AndAloneOrBatched()
    {
        using var threads = new SingleThreadedTorch();
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(T5Fixture.Load().Texts.Select(t => new Pair { Source = t }).Append(new Pair { Source = "partner: red" }));
        int[][] Run(bool cache, int batch)
        {
            var generation = new TextGenerationOptions { NumBeams = 3, MaxNewTokens = 6, UseCache = cache, BatchSize = batch, GeneratedTokenIdsColumnName = "Ids" };
            using var t = ml.Transforms.Text.TextToText(T5Fixture.Directory, options: new TextToTextOptions { MaxEpochs = 0, Generation = generation }).Fit(data);
            return ml.Data.CreateEnumerable<Output>(t.Transform(data), false, ignoreMissingColumns: true).Select(r => r.Ids).ToArray();
        }
        var reference = Run(cache: true, batch: 3);
        var noCache = Run(cache: false, batch: 3);
        var single = Run(cache: true, batch: 1);
        for (int i = 0; i < reference.Length; i++)
        {
            Assert.IsTrue(reference[i].Length > 0);
            CollectionAssert.AreEqual(noCache[i], reference[i], $"row {i} without cache");
            CollectionAssert.AreEqual(single[i], reference[i], $"row {i} alone");
        }
    }

    [TestMethod]
    public void FineTuning_LearnsTheToyTask_AndSaveCheckpointLoadsInTextToText()
    {
        using var threads = new SingleThreadedTorch();
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Toy);
        var options = new TextToTextOptions
        {
            MaxEpochs = 120, BatchSize = 8, ValidationSet = data, TargetLogLikelihoodColumnName = "TargetLogLikelihood",
            Generation = new() { MaxNewTokens = 5 },
            Training = new TrainerOptions { LearningRate = 2e-2, WarmupSteps = 10, WeightDecay = 0, EvaluateEverySteps = 10, LogEverySteps = 1000 },
        };
        var estimator = ml.Transforms.Text.TextToText(T5Fixture.Directory, options: options);
        using var before = ml.Transforms.Text.TextToText(T5Fixture.Directory, options: new TextToTextOptions { MaxEpochs = 0, TargetLogLikelihoodColumnName = "TargetLogLikelihood" }).Fit(data);
        double lossBefore = -ml.Data.CreateEnumerable<Output>(before.Transform(data), false, ignoreMissingColumns: true).Average(r => r.TargetLogLikelihood);
        using var trained = estimator.Fit(data);
        var result = estimator.LastTrainingResult!;
        var rows = ml.Data.CreateEnumerable<Output>(trained.Transform(data), false, ignoreMissingColumns: true).ToList();
        double lossAfter = -rows.Average(r => r.TargetLogLikelihood);
        Assert.IsTrue(lossAfter < 0.1 * lossBefore, $"target NLL per pair {lossBefore:F2} → {lossAfter:F2}");
        Assert.IsTrue(result.ValidationHistory.Count >= 2 && result.ValidationHistory[^1].Loss < 0.5 * result.ValidationHistory[0].Loss,
            string.Join(", ", result.ValidationHistory.Select(v => v.Loss.ToString("F3"))));
        // A 32-wide random model first learns the output space (which words end in </s>), before source-specific cross-attention.
        Assert.IsTrue(rows.All(r => Toy.Any(p => p.Target == r.Generated)), $"generated: {string.Join(", ", rows.Select(r => r.Generated))}");

        using var dir = new TempDirectory();
        trained.SaveCheckpoint(dir.Path);
        using var reloaded = ml.Transforms.Text.TextToText(dir.Path, options: new TextToTextOptions { MaxEpochs = 0, Generation = new() { MaxNewTokens = 5 } }).Fit(data);
        CollectionAssert.AreEqual(rows.Select(r => r.Generated).ToArray(),
            ml.Data.CreateEnumerable<Output>(reloaded.Transform(data), false, ignoreMissingColumns: true).Select(r => r.Generated).ToArray());
    }

    [TestMethod]
    public void SaveLoad_PredictionEngine_AndFreshProcess_GiveTheSameOutputs()
    {
        using var threads = new SingleThreadedTorch();
        var ml = new MLContext(seed: 1);
        var data = ProbeData.Sample(ml);
        var options = new TextToTextOptions
        {
            MaxEpochs = 0, TargetLogLikelihoodColumnName = "TargetLogLikelihood",
            Generation = new() { MaxNewTokens = 5, NumBeams = 2, GeneratedTokenIdsColumnName = "Ids" },
        };
        using var transformer = ml.Transforms.Text.TextToText(T5Fixture.Directory, "Generated", "Text", "Text2", options).Fit(data);
        var expected = ProbeColumns.Format(transformer.Transform(data), "Generated").ToArray();
        var expectedIds = ProbeColumns.Format(transformer.Transform(data), "Ids").ToArray();
        var expectedScores = ProbeColumns.Format(transformer.Transform(data), "TargetLogLikelihood").ToArray();
        using var dir = new TempDirectory();
        var path = dir.File("t5.zip");
        ml.Model.Save(transformer, data.Schema, path);
        ml.Model.Save(ml.Model.Load(path, out _), data.Schema, dir.File("t5-again.zip"));      // saved twice
        var loaded = new MLContext(seed: 5).Model.Load(dir.File("t5-again.zip"), out _);
        CollectionAssert.AreEqual(expected, ProbeColumns.Format(loaded.Transform(data), "Generated").ToArray());
        CollectionAssert.AreEqual(expectedScores, ProbeColumns.Format(loaded.Transform(data), "TargetLogLikelihood").ToArray());
        var engine = ml.Model.CreatePredictionEngine<ProbeData.Row, Output>(loaded);
        for (int i = 0; i < ProbeData.Rows.Length; i++)
            Assert.AreEqual(expected[i], ProbeColumns.Escape(engine.Predict(ProbeData.Rows[i]).Generated), $"row {i} via PredictionEngine");
        CollectionAssert.AreEqual(expectedIds, FreshProcessRunner.Run(path, "--column", "Ids"));
        CollectionAssert.AreEqual(expectedScores, FreshProcessRunner.Run(path, "--column", "TargetLogLikelihood"));
    }

    [TestMethod]
    public void SchemaErrors_NameTheColumnOrRow()
    {
        using var threads = new SingleThreadedTorch();
        var ml = new MLContext(seed: 1);
        var pairs = ml.Data.LoadFromEnumerable(Toy);
        var noSource = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Transforms.Text.TextToText(T5Fixture.Directory, sourceColumnName: "Question",
            options: new TextToTextOptions { MaxEpochs = 0 }).Fit(pairs));
        StringAssert.Contains(noSource.Message, "Question");
        var noTarget = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Transforms.Text.TextToText(T5Fixture.Directory, targetColumnName: "Answer").Fit(pairs));
        StringAssert.Contains(noTarget.Message, "Answer");
        var mistyped = ml.Data.LoadFromEnumerable(new[] { new { Source = 1f, Target = "x" } });
        var typed = Assert.Throws<ArgumentException>(() => ml.Transforms.Text.TextToText(T5Fixture.Directory).Fit(mistyped));
        StringAssert.Contains(typed.Message, "Source");
        var withEmpty = ml.Data.LoadFromEnumerable(Toy.Append(new Pair { Source = null!, Target = "x" }));
        var empty = Assert.Throws<InvalidOperationException>(() => ml.Transforms.Text.TextToText(T5Fixture.Directory,
            options: new TextToTextOptions { MaxEpochs = 1, Training = new() { MaxSteps = 1 } }).Fit(withEmpty));
        StringAssert.Contains(empty.Message, "Row 8");
        StringAssert.Contains(empty.Message, "'Source'");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.Text.TextToText(T5Fixture.Directory,
            options: new TextToTextOptions { Generation = new() { NumBeams = 0 } }));
    }
}
