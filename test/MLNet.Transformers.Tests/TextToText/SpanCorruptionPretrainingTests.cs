using Microsoft.ML;
using MLNet.Transformers.Estimators;
using MLNet.Transformers.FreshProcess;
using MLNet.Transformers.Models.T5;
using MLNet.Transformers.Tests.Checkpoints;
using MLNet.Transformers.Tests.FineTuning;
using MLNet.Transformers.Tests.Models.T5;
using MLNet.Transformers.Tests.Persistence;
using MLNet.Transformers.Training;
using MLNet.Transformers.Training.Objectives.SpanCorruption;

namespace MLNet.Transformers.Tests.TextToText;

/// <summary>PretrainSpanCorruption: learning from scratch, packing, sentinel filling, persistence, SaveCheckpoint → TextToText, option errors.</summary>
[TestClass]
public sealed class SpanCorruptionPretrainingTests
{
    private sealed class TextRow { public string Text { get; set; } = ""; }
    private sealed class FilledRow { public string Generated { get; set; } = ""; public string Filled { get; set; } = ""; public int[] Ids { get; set; } = []; }

    private static List<string> WikiParagraphs(int count) =>
        File.ReadLines(Path.Combine(AppContext.BaseDirectory, "TestData", "wikitext-2", "valid.txt"))
            .Where(l => l.Length > 200 && !l.TrimStart().StartsWith('=')).Take(count).ToList();

    private const string Thanks = "Thank you <extra_id_0> me to your party <extra_id_1> week.";

    [TestMethod]
    public void FromScratch_ShortPretraining_LowersTheValidationLoss()
    {
        using var threads = new SingleThreadedTorch();
        var ml = new MLContext(seed: 1);
        var paragraphs = WikiParagraphs(60);
        var train = ml.Data.LoadFromEnumerable(paragraphs.Skip(10).Select(p => new TextRow { Text = p }));
        var valid = ml.Data.LoadFromEnumerable(paragraphs.Take(10).Select(p => new TextRow { Text = p }));
        var options = new SpanCorruptionOptions
        {
            TokenizerDirectory = T5Fixture.Directory, ModelConfig = T5Config.Tiny() with { DModel = 32, DKv = 8, DFf = 64, DropoutRate = 0 },
            Objective = T5Objective.ReplaceSpans, InputLength = 64, MaxEpochs = 20, BatchSize = 8, ValidationSet = valid,
            Training = new TrainerOptions { LearningRate = 1e-2, WarmupSteps = 5, MaxSteps = 40, EvaluateEverySteps = 5, LogEverySteps = 1000 },
        };
        var estimator = ml.Transforms.Text.PretrainSpanCorruption(options);
        using var transformer = estimator.Fit(train);
        var history = estimator.LastTrainingResult!.ValidationHistory.Select(v => v.Loss).ToList();
        Assert.AreEqual(40, estimator.LastTrainingResult.StepsRun);
        Assert.IsTrue(history[^1] < history[0] - 1.0, $"validation loss: {string.Join(", ", history.Select(l => l.ToString("F2")))}");
        Assert.AreEqual(history.Min(), estimator.LastValidationLoss!.Value, 1e-9);
    }

    [TestMethod]
    public void Packing_CutsConcatenatedDocumentsSoCorruptedInputsFillInputLength()
    {
        using var threads = new SingleThreadedTorch();
        int chunk = DocumentPacker.ChunkLength(T5Objective.ReplaceSpans, 64, 0.15, 3.0);
        Assert.AreEqual(SpanCorruptionLengths.Compute(64, 0.15, 3.0).TokensLength, chunk);
        Assert.AreEqual(63, DocumentPacker.ChunkLength(T5Objective.Deshuffle, 64, 0.15, 3.0));
        var chunks = DocumentPacker.Pack([[1, 2, 3], [4, 5], [6, 7, 8, 9, 10]], 4);
        CollectionAssert.AreEqual(new[] { 1, 2, 3, 4 }, chunks[0]);
        CollectionAssert.AreEqual(new[] { 5, 6, 7, 8 }, chunks[1]);
        CollectionAssert.AreEqual(new[] { 9, 10 }, chunks[2]);
        var tokenizer = MLNet.Transformers.Tokenization.T5Tokenizer.FromDirectory(T5Fixture.Directory);
        var builder = new PretrainingExampleBuilder(T5Objective.ReplaceSpans, CorruptionVocabulary.FromTokenizer(tokenizer));
        var text = DocumentPacker.Pack(WikiParagraphs(20).Select(p => tokenizer.Encode(p, addEndOfSequence: false)), chunk);
        foreach (var c in text.Take(text.Count - 1)) Assert.AreEqual(64, builder.Build(c, new Random(3)).Input.Length);
    }

    [TestMethod]
    public void Filling_PutsEachGeneratedSpanInPlaceOfItsSentinel()
    {
        using var threads = new SingleThreadedTorch();
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new TextRow { Text = Thanks } });
        var options = new SpanCorruptionOptions { CheckpointDirectory = T5Fixture.Directory, MaxEpochs = 0, Generation = new() { MaxNewTokens = 12, GeneratedTokenIdsColumnName = "Ids" } };
        using var transformer = ml.Transforms.Text.PretrainSpanCorruption(options).Fit(data);
        var row = ml.Data.CreateEnumerable<FilledRow>(transformer.Transform(data), false).Single();
        var tok = transformer.Tokenizer;
        // Force a known generation through the same filling rule: sentinel 0 → "for inviting", sentinel 1 → "last".
        int[] generated = [tok.SentinelId(0), .. tok.Encode("for inviting", false), tok.SentinelId(1), .. tok.Encode("last", false), tok.SentinelId(2), tok.EosId];
        Assert.AreEqual("Thank you for inviting me to your party last week.", transformer.Fill(Thanks, generated));
        // What the random model generated is filled by the same rule.
        Assert.AreEqual(transformer.Fill(Thanks, row.Ids), row.Filled);
        Assert.AreEqual(tok.Decode(row.Ids.Where(i => i != tok.EosId)), row.Generated);
    }

    [TestMethod]
    public void SaveLoad_PredictionEngine_FreshProcess_AndSaveCheckpointLoadsInTextToText()
    {
        using var threads = new SingleThreadedTorch();
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(WikiParagraphs(12).Select(p => new TextRow { Text = p }));
        var options = new SpanCorruptionOptions
        {
            CheckpointDirectory = T5Fixture.Directory, InputLength = 32, MaxEpochs = 1, BatchSize = 4, ValidationFraction = 0,
            Training = new TrainerOptions { LearningRate = 1e-3, MaxSteps = 3 }, TextColumnName = "Text", Generation = new() { MaxNewTokens = 6 },
        };
        using var transformer = ml.Transforms.Text.PretrainSpanCorruption(options).Fit(train);
        var data = ProbeData.Sample(ml);
        var expected = ProbeColumns.Format(transformer.Transform(data), "Filled").ToArray();
        var generated = ProbeColumns.Format(transformer.Transform(data), "Generated").ToArray();
        using var dir = new TempDirectory();
        var path = dir.File("span.zip");
        ml.Model.Save(transformer, data.Schema, path);
        ml.Model.Save(ml.Model.Load(path, out _), data.Schema, dir.File("span-again.zip"));
        var loaded = new MLContext(seed: 7).Model.Load(dir.File("span-again.zip"), out _);
        CollectionAssert.AreEqual(expected, ProbeColumns.Format(loaded.Transform(data), "Filled").ToArray());
        var engine = ml.Model.CreatePredictionEngine<ProbeData.Row, FilledRow>(loaded);
        Assert.AreEqual(expected[0], ProbeColumns.Escape(engine.Predict(ProbeData.Rows[0]).Filled));
        // The probe prints one line per row and drops empty lines (the empty input's filled text is empty).
        Assert.IsTrue(expected.Count(e => e.Length > 0) >= 3);
        CollectionAssert.AreEqual(expected.Where(e => e.Length > 0).ToArray(), FreshProcessRunner.Run(path, "--column", "Filled"));

        var checkpoint = Path.Combine(dir.Path, "hf");
        transformer.SaveCheckpoint(checkpoint);
        using var textToText = ml.Transforms.Text.TextToText(checkpoint, "Generated", "Text",
            options: new TextToTextOptions { MaxEpochs = 0, Generation = new() { MaxNewTokens = 6 } }).Fit(data);
        CollectionAssert.AreEqual(generated, ProbeColumns.Format(textToText.Transform(data), "Generated").ToArray());
    }

    [TestMethod]
    public void OptionAndSchemaErrors_NameTheProblem()
    {
        using var threads = new SingleThreadedTorch();
        var ml = new MLContext(seed: 1);
        var noTokenizer = Assert.Throws<ArgumentException>(() => ml.Transforms.Text.PretrainSpanCorruption(new SpanCorruptionOptions()));
        StringAssert.Contains(noTokenizer.Message, "TokenizerDirectory");
        var untrained = Assert.Throws<ArgumentException>(() => ml.Transforms.Text.PretrainSpanCorruption(new SpanCorruptionOptions { TokenizerDirectory = T5Fixture.Directory, MaxEpochs = 0 }));
        StringAssert.Contains(untrained.Message, "MaxEpochs");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.Text.PretrainSpanCorruption(new SpanCorruptionOptions { TokenizerDirectory = T5Fixture.Directory, CorruptionRate = 1.5 }));
        var data = ml.Data.LoadFromEnumerable(new[] { new TextRow { Text = "x" } });
        var missing = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Transforms.Text.PretrainSpanCorruption(
            new SpanCorruptionOptions { TokenizerDirectory = T5Fixture.Directory, TextColumnName = "Document" }).Fit(data));
        StringAssert.Contains(missing.Message, "Document");
    }
}
