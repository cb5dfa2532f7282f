using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transformers.Estimators;
using MLNet.Transformers.Tests.Checkpoints;
using MLNet.Transformers.Tests.Encoders;
using MLNet.Transformers.Tests.Models;
using MLNet.Transformers.Training;
using MLNet.Transformers.Transforms;

namespace MLNet.Transformers.Tests.FineTuning;

/// <summary>SentenceSimilarity with Architecture BiEncoder: sentence-transformers' cosine similarity of separately pooled sentences.</summary>
[TestClass]
public sealed class BiEncoderSimilarityTests
{
    private sealed class PairRow
    {
        public string Sentence1 { get; set; } = "";
        public string Sentence2 { get; set; } = "";
        public float Label { get; set; }
    }

    private sealed class ScoreRow
    {
        public float Score { get; set; }
    }

    private static readonly PairRow[] Probe =
    [
        new() { Sentence1 = "a man is playing a guitar.", Sentence2 = "someone plays music." },
        new() { Sentence1 = "the cat sleeps", Sentence2 = "stocks fell sharply today" },
        new() { Sentence1 = "the film is great", Sentence2 = "the film is great" },
    ];

    private static SentenceSimilarityOptions BiEncoder(string checkpoint, int maxEpochs) => new()
    {
        CheckpointDirectory = checkpoint, Architecture = SentenceSimilarityArchitecture.BiEncoder, LabelScale = 5f, MaxEpochs = maxEpochs,
        BatchSize = 8, MaxSequenceLength = 32, Precision = Precision.Float32,
    };

    // Identical sentences (label 5) and sentences sharing no word (label 0): the untrained random fixture cannot tell them apart well.
    private static PairRow[] SyntheticPairs(int count, int seed)
    {
        string[] left = ["great", "wonderful", "superb", "brilliant", "film", "plot"], right = ["awful", "boring", "dull", "terrible", "is", "a"];
        var random = new Random(seed);
        string Sentence(string[] words) => string.Join(" ", Enumerable.Range(0, 3).Select(_ => words[random.Next(words.Length)]));
        return Enumerable.Range(0, count).Select(i =>
        {
            var a = Sentence(left);
            return i % 2 == 0 ? new PairRow { Sentence1 = a, Sentence2 = a, Label = 5 } : new PairRow { Sentence1 = a, Sentence2 = Sentence(right), Label = 0 };
        }).ToArray();
    }

    private static float[] Scores(ITransformer model, IDataView data) => model.Transform(data).GetColumn<float>("Score").ToArray();

    [TestMethod]
    public void MaxEpochsZero_ScoreIsScaleTimesCosineOfTransformerEmbeddingVectors_AndSaveCheckpointLoadsAsEmbedding()
    {
        using var folder = EncoderEmbeddingTests.SentenceTransformersFolder("mean", normalize: true);
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Probe);
        using var similarity = ml.Regression.Trainers.SentenceSimilarity(BiEncoder(folder.Path, maxEpochs: 0)).Fit(data);
        var scores = Scores(similarity, data);

        using var embedding = ml.Transforms.Text.TransformerEmbedding(folder.Path,
            new TransformerEmbeddingSettings("E", "Sentence1", null, EmbeddingPooling.Default, 32, 8, Precision: Precision.Float32)).Fit(data);
        var a = embedding.Embed(Probe.Select(p => p.Sentence1).ToArray());
        var b = embedding.Embed(Probe.Select(p => p.Sentence2).ToArray());
        for (int i = 0; i < Probe.Length; i++)
            Assert.AreEqual(5 * Cosine(a[i], b[i]), scores[i], 1e-5, $"row {i}");
        Assert.AreEqual(5f, scores[2], 1e-5, "identical sentences score the label scale");

        // PredictionEngine and the direct Score API give the same numbers.
        using var engine = ml.Model.CreatePredictionEngine<PairRow, ScoreRow>(similarity);
        Assert.AreEqual(scores[0], engine.Predict(Probe[0]).Score, 1e-6);
        Assert.AreEqual(scores[1], similarity.Score([Probe[1].Sentence1], [Probe[1].Sentence2])[0][0], 1e-6);

        // SaveCheckpoint writes a sentence-transformers folder TransformerEmbedding loads with the same pooling and Normalize.
        using var saved = new TempDirectory();
        similarity.SaveCheckpoint(saved.Path);
        StringAssert.Contains(File.ReadAllText(Path.Combine(saved.Path, "1_Pooling", "config.json")), "\"pooling_mode_mean_tokens\": true");
        using var reloaded = ml.Transforms.Text.TransformerEmbedding(saved.Path,
            new TransformerEmbeddingSettings("E", "Sentence1", null, EmbeddingPooling.Default, 32, 8, Precision: Precision.Float32)).Fit(data);
        Assert.AreEqual(EmbeddingPooling.Mean, reloaded.Settings.Pooling);
        Assert.AreEqual(true, reloaded.Settings.Normalize);
        var again = reloaded.Embed(Probe.Select(p => p.Sentence1).ToArray());
        for (int i = 0; i < Probe.Length; i++) CollectionAssert.AreEqual(a[i], again[i], $"row {i}");
    }

    private static float Cosine(float[] x, float[] y)
    {
        double dot = 0, nx = 0, ny = 0;
        for (int i = 0; i < x.Length; i++) { dot += x[i] * y[i]; nx += x[i] * x[i]; ny += y[i] * y[i]; }
        return (float)(dot / Math.Sqrt(nx * ny));
    }

    [TestMethod]
    public void Learning_TrainingReducesTheMeanSquaredErrorAgainstEpochZero()
    {
        using var threads = new SingleThreadedTorch();
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(SyntheticPairs(32, seed: 1));
        var before = BiEncoder(BertParityTests.FixtureDirectory, maxEpochs: 0);
        var after = BiEncoder(BertParityTests.FixtureDirectory, maxEpochs: 6);
        after.Training = new TrainerOptions { LearningRate = 3e-3 };
        using var untrained = ml.Regression.Trainers.SentenceSimilarity(before).Fit(train);
        var estimator = ml.Regression.Trainers.SentenceSimilarity(after);
        using var trained = estimator.Fit(train);
        double mseBefore = ml.Regression.Evaluate(untrained.Transform(train)).MeanSquaredError;
        double mseAfter = ml.Regression.Evaluate(trained.Transform(train)).MeanSquaredError;
        Assert.IsTrue(mseAfter < 0.5 * mseBefore, $"MSE {mseBefore:F3} at epoch 0, {mseAfter:F3} after training");
        Assert.IsNotNull(estimator.LastTrainingResult);
    }

    [TestMethod]
    public void SaveLoad_RoundTripsArchitectureScaleAndTrainedWeights()
    {
        using var threads = new SingleThreadedTorch();
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(SyntheticPairs(8, seed: 2));
        var data = ml.Data.LoadFromEnumerable(Probe);
        var options = BiEncoder(BertParityTests.FixtureDirectory, maxEpochs: 1);
        options.LabelScale = 2f;
        options.Training = new TrainerOptions { LearningRate = 3e-3 };
        using var model = ml.Regression.Trainers.SentenceSimilarity(options).Fit(train);
        using var untrained = ml.Regression.Trainers.SentenceSimilarity(BiEncoder(BertParityTests.FixtureDirectory, maxEpochs: 0)).Fit(train);
        var scores = Scores(model, data);
        CollectionAssert.AreNotEqual(Scores(untrained, data).Select(s => s * 2 / 5).ToArray(), scores, "training changed the encoder");

        using var dir = new TempDirectory();
        ml.Model.Save(model, data.Schema, dir.File("model.zip"));
        var loaded = ml.Model.Load(dir.File("model.zip"), out _);
        try
        {
            var settings = ((SequenceClassificationTransformer)loaded).Settings;
            Assert.AreEqual(SentenceSimilarityArchitecture.BiEncoder, settings.Architecture);
            Assert.AreEqual(2f, settings.LabelScale);
            CollectionAssert.AreEqual(scores, Scores(loaded, data));
        }
        finally { (loaded as IDisposable)?.Dispose(); }
    }

    [TestMethod]
    public void BadOptions_AreRefusedNamingTheOption()
    {
        var ml = new MLContext(seed: 1);
        string fixture = BertParityTests.FixtureDirectory;
        void Refused(Action<SentenceSimilarityOptions> change, string name)
        {
            var options = BiEncoder(fixture, maxEpochs: 1);
            change(options);
            var e = Assert.ThrowsExactly<ArgumentException>(() => ml.Regression.Trainers.SentenceSimilarity(options));
            StringAssert.Contains(e.Message, name);
        }
        Refused(o => o.LabelScale = 0, "LabelScale");
        Refused(o => o.LabelScale = float.NaN, "LabelScale");
        Refused(o => o.LabelScale = float.PositiveInfinity, "LabelScale");
        Refused(o => o.Sentence2ColumnName = null, "Sentence2ColumnName");
        Refused(o => o.FreezeEncoder = true, "FreezeEncoder");
        Refused(o => o.Architecture = (SentenceSimilarityArchitecture)7, "Architecture");

        // The pair-classifier ONNX export does not apply; the message says what to export instead.
        var data = ml.Data.LoadFromEnumerable(Probe);
        using var model = ml.Regression.Trainers.SentenceSimilarity(BiEncoder(fixture, maxEpochs: 0)).Fit(data);
        using var dir = new TempDirectory();
        var export = Assert.ThrowsExactly<InvalidOperationException>(() => model.ExportOnnx(dir.File("m.onnx")));
        StringAssert.Contains(export.Message, "TransformerEmbedding");
    }
}
