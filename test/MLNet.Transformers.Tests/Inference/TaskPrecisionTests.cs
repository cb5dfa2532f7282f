using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transformers.Estimators;
using MLNet.Transformers.Tests.Checkpoints;
using MLNet.Transformers.Tests.FineTuning;
using MLNet.Transformers.Tests.Models;
using MLNet.Transformers.Tests.QuestionAnswering;
using MLNet.Transformers.Transforms;

namespace MLNet.Transformers.Tests.Inference;

/// <summary>
/// <see cref="Precision"/> and length bucketing on the task transformers (classification, similarity, NER, QA, GPT-2 scoring
/// and generation): bf16 stays close to fp32, bucketed IDataView scoring equals scoring each row alone, Precision is saved
/// with the model, and a model saved before the fields existed loads as fp32 (not Auto, today's default) with bucketing on.
/// </summary>
[TestClass]
public sealed class TaskPrecisionTests
{
    private sealed class Row { public string Text { get; set; } = ""; public string Text2 { get; set; } = ""; }

    // 20 rows of mixed lengths (1-2 SST-2 sentences each): with batch 2 the bucketing window (16 rows) reorders them.
    private static readonly string[] Texts = Enumerable.Range(0, 20)
        .Select(i => string.Join(" ", Enumerable.Repeat(ScoringPrecisionTests.Sentences[i * 5 % 8], 1 + i % 2))).ToArray();

    private static IDataView Data(MLContext ml) =>
        ml.Data.LoadFromEnumerable(Texts.Select((t, i) => new Row { Text = t, Text2 = Texts[(i + 7) % Texts.Length] }));

    [TestMethod]
    public void TextClassification_Bf16IsCloseToFp32_BucketedEqualsRowByRow_PrecisionSurvivesSaveLoad()
    {
        using var head = new HeadFixture(numLabels: 3, names: ["neg", "neu", "pos"]);
        var ml = new MLContext(seed: 1);
        var data = Data(ml);
        SequenceClassificationTransformer Fit(Precision p) => ml.MulticlassClassification.Trainers.TextClassification(new TextClassificationOptions
        {
            CheckpointDirectory = head.Path, Sentence1ColumnName = "Text", MaxEpochs = 0, BatchSize = 2, Precision = p,
        }).Fit(data);
        using var f32 = Fit(Precision.Float32);
        using var bf16 = Fit(Precision.BFloat16);
        Assert.IsTrue(f32.Settings.LengthBucketing);
        var expected = Scores(f32.Transform(data));
        for (int i = 0; i < Texts.Length; i++)
        {
            var alone = f32.Score([Texts[i]])[0];   // one row alone: no bucketing, no padding
            for (int j = 0; j < 3; j++) Assert.AreEqual(alone[j], expected[i][j], 1e-6, $"bucketed row {i} class {j}");
        }
        var actual = Scores(bf16.Transform(data));
        double maxError = actual.Zip(expected).Max(p => p.First.Zip(p.Second).Max(q => Math.Abs(q.First - q.Second)));
        Console.WriteLine($"TextClassification bf16 vs fp32: max probability error {maxError:E2}");
        Assert.IsLessThan(2e-2, maxError);

        using var dir = new TempDirectory();
        ml.Model.Save(bf16, data.Schema, dir.File("bf16.zip"));
        using var loaded = (SequenceClassificationTransformer)ml.Model.Load(dir.File("bf16.zip"), out _);
        Assert.AreEqual(Precision.BFloat16, loaded.Settings.Precision);
        var again = Scores(loaded.Transform(data));
        for (int i = 0; i < actual.Length; i++) CollectionAssert.AreEqual(actual[i], again[i], $"row {i}: a reloaded bf16 model scores identically");
    }

    [TestMethod]
    public void SentenceSimilarity_Bf16IsCloseToFp32_AndBucketedPairsEqualRowByRow()
    {
        using var head = new HeadFixture(numLabels: 1, regression: true);
        var ml = new MLContext(seed: 1);
        var data = Data(ml);
        SequenceClassificationTransformer Fit(Precision p) => ml.Regression.Trainers.SentenceSimilarity(new SentenceSimilarityOptions
        {
            CheckpointDirectory = head.Path, Sentence1ColumnName = "Text", Sentence2ColumnName = "Text2", MaxEpochs = 0, BatchSize = 2, Precision = p,
        }).Fit(data);
        using var f32 = Fit(Precision.Float32);
        using var bf16 = Fit(Precision.BFloat16);
        var expected = f32.Transform(data).GetColumn<float>("Score").ToArray();
        var pairs = ml.Data.CreateEnumerable<Row>(data, false).ToArray();
        for (int i = 0; i < pairs.Length; i++)
            Assert.AreEqual(f32.Score([pairs[i].Text], [pairs[i].Text2])[0][0], expected[i], 1e-6, $"bucketed row {i}");
        var actual = bf16.Transform(data).GetColumn<float>("Score").ToArray();
        double maxError = actual.Zip(expected).Max(p => Math.Abs(p.First - p.Second));
        double spread = expected.Max() - expected.Min();
        Console.WriteLine($"SentenceSimilarity bf16 vs fp32: max error {maxError:E2} (outputs span {spread:F3})");
        Assert.IsLessThan(2e-2 * Math.Max(1, expected.Max(Math.Abs)), maxError);
    }

    [TestMethod]
    public void NamedEntityRecognition_Bf16AgreesWithFp32_AndBucketedEqualsRowByRow()
    {
        using var head = new HeadFixture(numLabels: 5, names: ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"], dropPooler: true);
        var ml = new MLContext(seed: 1);
        var data = Data(ml);
        TokenClassificationTransformer Fit(Precision p) => ml.MulticlassClassification.Trainers.NamedEntityRecognition(new NamedEntityRecognitionOptions
        {
            CheckpointDirectory = head.Path, Sentence1ColumnName = "Text", MaxEpochs = 0, BatchSize = 2, Precision = p,
        }).Fit(data);
        using var f32 = Fit(Precision.Float32);
        using var bf16 = Fit(Precision.BFloat16);
        Assert.AreEqual(Precision.BFloat16, bf16.Settings.Precision);
        var expected = Keys(f32.Transform(data));
        for (int i = 0; i < Texts.Length; i++) CollectionAssert.AreEqual(f32.Predict([Texts[i]])[0], expected[i], $"bucketed row {i}");
        var actual = Keys(bf16.Transform(data));
        var words = actual.Zip(expected).SelectMany(p => p.First.Zip(p.Second)).ToArray();
        double agreement = words.Count(w => w.First == w.Second) / (double)words.Length;
        Console.WriteLine($"NER bf16 vs fp32: {agreement:P1} of {words.Length} words get the same tag");
        Assert.IsGreaterThanOrEqualTo(0.95, agreement);
    }

    [TestMethod]
    public void QuestionAnswer_Bf16IsCloseToFp32_AndBucketedEqualsRowByRow()
    {
        using var fixture = new QaFixture();
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Texts.Select((t, i) => new QaRow { Context = t, Question = ScoringPrecisionTests.Sentences[i % 8] }));
        QuestionAnsweringTransformer Fit(Precision p) => ml.MulticlassClassification.Trainers.QuestionAnswer(new QuestionAnsweringOptions
        {
            CheckpointDirectory = fixture.Path, MaxEpochs = 0, BatchSize = 2, TopK = 1, Precision = p,
        }).Fit(data);
        using var f32 = Fit(Precision.Float32);
        using var bf16 = Fit(Precision.BFloat16);
        var scored = ml.Data.CreateEnumerable<QaOutput>(f32.Transform(data), false).ToArray();
        var answers = scored.Select(r => r.Answer).ToArray();
        var scores = scored.Select(r => r.Score).ToArray();
        for (int i = 0; i < Texts.Length; i++)
        {
            var alone = f32.Predict([ScoringPrecisionTests.Sentences[i % 8]], [Texts[i]])[0][0];
            Assert.AreEqual(alone.Text, answers[i][0], $"bucketed row {i}");
            Assert.AreEqual(alone.Score, scores[i][0], 1e-6, $"bucketed row {i} score");
        }
        var bf16Answers = bf16.Transform(data).GetColumn<string[]>("Answer").ToArray();
        double agreement = bf16Answers.Zip(answers).Count(p => p.First[0] == p.Second[0]) / (double)answers.Length;
        Console.WriteLine($"QA bf16 vs fp32: {agreement:P1} of {answers.Length} questions get the same answer");
        Assert.IsGreaterThanOrEqualTo(0.9, agreement);
    }

    [TestMethod]
    public void CausalLanguageModel_Bf16LogLikelihoodIsCloseToFp32_AndBucketedEqualsRowByRow()
    {
        var ml = new MLContext(seed: 1);
        var data = Data(ml);
        CausalLanguageModelTransformer Fit(Precision p) => ml.Transforms.Text.PretrainCausalLanguageModel(new CausalLanguageModelOptions
        {
            CheckpointDirectory = Gpt2Fixture.Directory, TextColumnName = "Text", MaxEpochs = 0, BatchSize = 2, Precision = p,
        }).Fit(data);
        using var f32 = Fit(Precision.Float32);
        using var bf16 = Fit(Precision.BFloat16);
        Assert.IsTrue(f32.Settings.LengthBucketing);
        foreach (var (name, p) in bf16.Model.named_parameters())   // GPT-2's Conv1D projections are bf16; embeddings and LayerNorms fp32
            Assert.AreEqual(name.Contains(".c_") ? TorchSharp.torch.ScalarType.BFloat16 : TorchSharp.torch.ScalarType.Float32, p.dtype, name);
        var expected = f32.Transform(data).GetColumn<float>("LogLikelihood").ToArray();
        for (int i = 0; i < Texts.Length; i++)
            Assert.AreEqual(f32.Score([Texts[i]])[0].LogLikelihood, expected[i], 1e-6 * Math.Abs(expected[i]), $"bucketed row {i}");
        var actual = bf16.Transform(data).GetColumn<float>("LogLikelihood").ToArray();
        double maxRelative = actual.Zip(expected).Max(p => Math.Abs(p.First - p.Second) / Math.Abs(p.Second));
        Console.WriteLine($"GPT-2 scoring bf16 vs fp32: max relative log-likelihood error {maxRelative:E2}");
        Assert.IsLessThan(1e-2, maxRelative);
    }

    [TestMethod]
    public void TextGeneration_Bf16GreedyDecodingMostlyMatchesFp32_AndBucketedEqualsRowByRow()
    {
        var ml = new MLContext(seed: 1);
        // Prompts of 1-6 words (the fixture has 64 positions).
        var prompts = Enumerable.Range(0, 20).Select(i => string.Join(' ', ScoringPrecisionTests.Sentences[i % 8].Split(' ').Take(1 + i * 5 % 6))).ToArray();
        var data = ml.Data.LoadFromEnumerable(prompts.Select(t => new Row { Text = t }));
        TextGenerationTransformer Fit(Precision p) => ml.Transforms.Text.GenerateText(Gpt2Fixture.Directory, "Out", "Text",
            new TextGenerationOptions { MaxNewTokens = 4, BatchSize = 2, GeneratedTokenIdsColumnName = "Ids", Precision = p }).Fit(data);
        using var f32 = Fit(Precision.Float32);
        using var bf16 = Fit(Precision.BFloat16);
        var expected = f32.Transform(data).GetColumn<int[]>("Ids").ToArray();
        for (int i = 0; i < prompts.Length; i++) CollectionAssert.AreEqual(f32.Generate([prompts[i]])[0].TokenIds, expected[i], $"bucketed row {i}");
        var actual = bf16.Transform(data).GetColumn<int[]>("Ids").ToArray();
        double firstTokenAgreement = actual.Zip(expected).Count(p => p.First[0] == p.Second[0]) / (double)expected.Length;
        Console.WriteLine($"GPT-2 greedy bf16 vs fp32: first new token equal for {firstTokenAgreement:P1} of prompts");
        Assert.IsGreaterThanOrEqualTo(0.9, firstTokenAgreement);

        using var dir = new TempDirectory();
        ml.Model.Save(bf16, data.Schema, dir.File("gen.zip"));
        using var loaded = (TextGenerationTransformer)ml.Model.Load(dir.File("gen.zip"), out _);
        Assert.AreEqual(Precision.BFloat16, loaded.Settings.Options.Precision);
    }

    [TestMethod]
    public void ModelsSavedBeforePrecisionExisted_LoadAsFloat32WithBucketing()
    {
        using var head = new HeadFixture(numLabels: 3, names: ["neg", "neu", "pos"]);
        var ml = new MLContext(seed: 1);
        var data = Data(ml);
        using var dir = new TempDirectory();
        using (var transformer = ml.MulticlassClassification.Trainers.TextClassification(new TextClassificationOptions
        {
            CheckpointDirectory = head.Path, Sentence1ColumnName = "Text", MaxEpochs = 0, Precision = Precision.BFloat16,
        }).Fit(data))
            ml.Model.Save(transformer, data.Schema, dir.File("model.zip"));
        RemoveSettings(dir.File("model.zip"), "Precision", "LengthBucketing");
        using var loaded = (SequenceClassificationTransformer)ml.Model.Load(dir.File("model.zip"), out _);
        Assert.AreEqual(Precision.Float32, loaded.Settings.Precision);
        Assert.IsTrue(loaded.Settings.LengthBucketing);

        using (var generator = ml.Transforms.Text.GenerateText(Gpt2Fixture.Directory, "Out", "Text",
            new TextGenerationOptions { MaxNewTokens = 1, Precision = Precision.BFloat16, LengthBucketing = false }).Fit(data))
            ml.Model.Save(generator, data.Schema, dir.File("gen.zip"));
        RemoveSettings(dir.File("gen.zip"), "Options.Precision", "Options.LengthBucketing");
        using var loadedGenerator = (TextGenerationTransformer)ml.Model.Load(dir.File("gen.zip"), out _);
        Assert.AreEqual(Precision.Float32, loadedGenerator.Settings.Options.Precision);
        Assert.IsTrue(loadedGenerator.Settings.Options.LengthBucketing);

        // The embedding's settings default to Auto now; one saved without the field still scored in fp32 and loads so.
        using (var embedding = ml.Transforms.Text.TransformerEmbedding(BertParityTests.FixtureDirectory, "E", "Text").Fit(data))
        {
            Assert.AreEqual(Precision.Auto, embedding.Settings.Precision);
            ml.Model.Save(embedding, data.Schema, dir.File("embedding.zip"));
        }
        RemoveSettings(dir.File("embedding.zip"), "Precision");
        using var loadedEmbedding = (TransformerEmbeddingTransformer)ml.Model.Load(dir.File("embedding.zip"), out _);
        Assert.AreEqual(Precision.Float32, loadedEmbedding.Settings.Precision);
    }

    // Rewrites Settings.json without the given fields ("A.B" = field B of object A) and fixes its checksum, as an older version wrote it.
    private static void RemoveSettings(string zipPath, params string[] fields)
    {
        using var zip = ZipFile.Open(zipPath, ZipArchiveMode.Update);
        var settings = JsonNode.Parse(Read(zip, "/Payload.Settings.json"))!.AsObject();
        foreach (var field in fields)
        {
            var parts = field.Split('.');
            var owner = parts.Length == 1 ? settings : settings[parts[0]]!.AsObject();
            Assert.IsTrue(owner.Remove(parts[^1]), $"the saved settings have no field {field}");
        }
        byte[] edited = Encoding.UTF8.GetBytes(settings.ToJsonString());
        Write(zip, "/Payload.Settings.json", edited);
        var sums = JsonSerializer.Deserialize<Dictionary<string, string>>(Read(zip, "/PayloadChecksums.json"))!;
        sums["Settings.json"] = Convert.ToHexStringLower(SHA256.HashData(edited));
        Write(zip, "/PayloadChecksums.json", JsonSerializer.SerializeToUtf8Bytes(sums));
    }

    private static byte[] Read(ZipArchive zip, string suffix)
    {
        using var input = zip.Entries.Single(e => e.FullName.EndsWith(suffix, StringComparison.Ordinal)).Open();
        using var copy = new MemoryStream();
        input.CopyTo(copy);
        return copy.ToArray();
    }

    private static void Write(ZipArchive zip, string suffix, byte[] bytes)
    {
        var entry = zip.Entries.Single(e => e.FullName.EndsWith(suffix, StringComparison.Ordinal));
        string name = entry.FullName;
        entry.Delete();
        using var output = zip.CreateEntry(name).Open();
        output.Write(bytes);
    }

    private static float[][] Scores(IDataView view) => view.GetColumn<VBuffer<float>>("Score").Select(v => v.DenseValues().ToArray()).ToArray();

    private static uint[][] Keys(IDataView view) => view.GetColumn<VBuffer<uint>>("PredictedLabel").Select(v => v.DenseValues().ToArray()).ToArray();

    private sealed class QaOutput { public string[] Answer { get; set; } = []; public float[] Score { get; set; } = []; }

    private sealed class QaRow { public string Context { get; set; } = ""; public string Question { get; set; } = ""; }
}
