using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transformers.Estimators;
using MLNet.Transformers.Models.Bert;
using MLNet.Transformers.Tests.Models;
using MLNet.Transformers.Training;
using MLNet.Transformers.Training.Pretraining;
using static TorchSharp.torch;

namespace MLNet.Transformers.Tests.Estimators;

[TestClass]
public sealed class MaskedLanguageModelEstimatorTests
{
    private sealed class TextRow { public string Text { get; set; } = ""; }

    private static readonly string WikiText = Path.Combine(AppContext.BaseDirectory, "TestData", "wikitext-2", "valid.txt");

    private static BertConfig TinyConfig => new()
    {
        HiddenSize = 64, NumHiddenLayers = 2, NumAttentionHeads = 2, IntermediateSize = 128, MaxPositionEmbeddings = 64,
    };

    private static IDataView WikiLines(MLContext ml, int lines) =>
        ml.Data.LoadFromEnumerable(File.ReadLines(WikiText).Take(lines).Select(l => new TextRow { Text = l }));

    private static MaskedLanguageModelOptions SmallRun(int maxSteps, Action<MaskedLanguageModelOptions>? tweak = null)
    {
        var options = new MaskedLanguageModelOptions
        {
        ModelConfig = TinyConfig, VocabularySize = 1000, RowFormat = CorpusRowFormat.WikiTextLines, NextSentencePrediction = true,
        MaxSequenceLength = 64, BatchSize = 16, MaxEpochs = 100, ValidationFraction = 0.1,
        Training = new TrainerOptions { MaxSteps = maxSteps, LearningRate = 1e-3, WarmupFraction = 0.05, Seed = 7 },
        };
        tweak?.Invoke(options);
        return options;
    }

    [TestMethod]
    public void Pretraining_OnWikiText_BeatsTheUnigramBaseline()
    {
        var ml = new MLContext(seed: 1);
        var estimator = ml.Transforms.Text.PretrainMaskedLanguageModel(SmallRun(1500, o => { o.NextSentencePrediction = false; o.Training.LearningRate = 2e-3; o.Training.WarmupFraction = 0.02; }));
        using var fillMask = estimator.Fit(WikiLines(ml, 1200));
        var metrics = estimator.LastValidationMetrics!;
        var result = estimator.LastTrainingResult!;

        // The baseline: the loss of always predicting unigram frequencies of the maskable validation tokens.
        var tokenizer = fillMask.Tokenizer;
        var docs = PretrainingCorpus.ReadDocuments(File.ReadLines(WikiText).Take(1200));
        var tokens = docs.SelectMany(d => d.Sentences).SelectMany(tokenizer.Tokenize);
        double unigram = PretrainingMetrics.UnigramEntropy(tokens);
        Console.WriteLine($"validation MLM loss {metrics.MeanMaskedTokenLoss:F3} (perplexity {metrics.Perplexity:F1}, accuracy {metrics.MaskedTokenAccuracy:P1}) vs unigram entropy {unigram:F3}; first loss {result.LossHistory[0]:F3}");
        Assert.IsTrue(metrics.MeanMaskedTokenLoss < unigram - 0.15, $"validation loss {metrics.MeanMaskedTokenLoss:F3} should be clearly below the unigram baseline {unigram:F3}");
        Assert.IsTrue(metrics.MaskedTokenCount > 500, "validation covered enough masked tokens");
        Assert.AreEqual(1500, result.StepsRun);
    }

    [TestMethod]
    public void Pretraining_ResumedRunEqualsStraightRun()
    {
        const int n = 6;
        var ml = new MLContext(seed: 1);
        var data = WikiLines(ml, 400);
        var state = Directory.CreateTempSubdirectory("mlm-resume-").FullName;
        try
        {
            var straight = ml.Transforms.Text.PretrainMaskedLanguageModel(SmallRun(2 * n, o => o.ValidationFraction = 0));
            using var a = straight.Fit(data);

            using var cts = new CancellationTokenSource();
            var first = ml.Transforms.Text.PretrainMaskedLanguageModel(SmallRun(2 * n, o =>
            {
                o.ValidationFraction = 0; o.Training.TrainingStateDirectory = state; o.Training.SaveEverySteps = n; o.Training.CancellationToken = cts.Token;
                o.Training.Progress = new CancelAt(n, cts);
            }));
            Assert.ThrowsExactly<OperationCanceledException>(() => first.Fit(data));

            var resumed = ml.Transforms.Text.PretrainMaskedLanguageModel(SmallRun(2 * n, o => { o.ValidationFraction = 0; o.Training.ResumeFrom = state; }));
            using var b = resumed.Fit(data);
            var la = straight.LastTrainingResult!.LossHistory;
            var lb = resumed.LastTrainingResult!.LossHistory;
            Assert.AreEqual(2 * n, lb.Count);
            Assert.AreEqual(la[^1], lb[^1], 1e-5, "same final loss as the uninterrupted run");
            var wa = a.Model.state_dict();
            foreach (var (key, tensor) in b.Model.state_dict())
                Assert.IsTrue((tensor - wa[key]).abs().max().item<float>() < 1e-5, $"{key} differs after resume");
        }
        finally { Directory.Delete(state, recursive: true); }
    }

    private sealed class CancelAt(int step, CancellationTokenSource cts) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) { if (value.Step == step) cts.Cancel(); }
    }

    [TestMethod]
    public void FillMask_WithZeroEpochs_ReturnsTheTopKTheFixtureLogitsImply()
    {
        var expected = BertParityTests.Expected.Load();
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new TextRow { Text = "What sets this mission [MASK] is the [MASK]." } });
        using var fillMask = ml.Transforms.Text.PretrainMaskedLanguageModel(new MaskedLanguageModelOptions
        {
            CheckpointDirectory = BertParityTests.FixtureDirectory, MaxEpochs = 0, TopK = 5,
        }).Fit(data);
        var scored = fillMask.Transform(data);
        var tokens = scored.GetColumn<VBuffer<ReadOnlyMemory<char>>>("FilledTokens").Single().DenseValues().Select(t => t.ToString()).ToArray();
        var scores = scored.GetColumn<VBuffer<float>>("FilledScores").Single().DenseValues().ToArray();
        Assert.AreEqual(10, tokens.Length, "5 candidates for each of the 2 masks");

        for (int m = 0; m < 2; m++)
        {
            var probabilities = nn.functional.softmax(expected.MlmLogits[1][m], 0);
            var (values, indices) = probabilities.topk(5);
            for (int k = 0; k < 5; k++)
            {
                Assert.AreEqual(fillMask.Tokenizer.IdToToken((int)indices[k].item<long>()), tokens[m * 5 + k], $"mask {m}, rank {k}");
                Assert.AreEqual(values[k].item<double>(), scores[m * 5 + k], 1e-4, $"mask {m}, rank {k} probability");
            }
        }
    }

    [TestMethod]
    public void FillMask_PipelineSaveLoad_GivesIdenticalOutputs_AndSaveCheckpointIsHuggingFaceLayout()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[]
        {
            new TextRow { Text = "the [MASK] was released in 2010 ." }, new TextRow { Text = "no mask here" }, new TextRow { Text = "[MASK] [MASK] [MASK]" },
        });
        var estimator = ml.Transforms.Text.PretrainMaskedLanguageModel(SmallRun(3, o => { o.NextSentencePrediction = false; o.ValidationFraction = 0; }));
        using var model = estimator.Fit(WikiLines(ml, 200));
        var expectedTokens = model.Transform(data).GetColumn<VBuffer<ReadOnlyMemory<char>>>("FilledTokens").Select(v => string.Join("|", v.DenseValues())).ToArray();
        Assert.AreEqual("", expectedTokens[1], "a text without [MASK] gets no candidates");
        Assert.AreEqual(15, expectedTokens[2].Split('|').Length);

        var path = Path.Combine(Path.GetTempPath(), $"fillmask-{Guid.NewGuid():N}.zip");
        var dir = Directory.CreateTempSubdirectory("fillmask-ckpt-").FullName;
        try
        {
            ml.Model.Save(model, data.Schema, path);
            for (int i = 0; i < 2; i++)
            {
                var loaded = ml.Model.Load(path, out _);
                var actual = loaded.Transform(data).GetColumn<VBuffer<ReadOnlyMemory<char>>>("FilledTokens").Select(v => string.Join("|", v.DenseValues())).ToArray();
                CollectionAssert.AreEqual(expectedTokens, actual, $"after load #{i + 1}");
            }

            model.SaveCheckpoint(dir);
            CollectionAssert.IsSubsetOf(new[] { "config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json" },
                Directory.GetFiles(dir).Select(Path.GetFileName).ToArray());
            using var reloaded = BertCheckpoint.LoadForPreTraining(dir, withNextSentencePrediction: false);
            using var encoder = BertCheckpoint.LoadEncoder(dir, withPooler: false);
            Assert.AreEqual(1000, reloaded.Config.VocabSize);
        }
        finally { File.Delete(path); Directory.Delete(dir, recursive: true); }
    }

    [TestMethod]
    public void Options_BadInputGivesClearErrors()
    {
        var ml = new MLContext(seed: 1);
        var e = Assert.ThrowsExactly<ArgumentException>(() => ml.Transforms.Text.PretrainMaskedLanguageModel(new MaskedLanguageModelOptions { MaxEpochs = 0 }));
        StringAssert.Contains(e.Message, "CheckpointDirectory");
        var data = ml.Data.LoadFromEnumerable(new[] { new TextRow { Text = "x" } });
        var missing = ml.Transforms.Text.PretrainMaskedLanguageModel(SmallRun(1, o => o.TextColumnName = "Sentence"));
        var e2 = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => missing.Fit(data));
        StringAssert.Contains(e2.Message, "Sentence");
    }
}
