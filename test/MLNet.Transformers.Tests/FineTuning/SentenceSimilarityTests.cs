using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transformers.Estimators;
using MLNet.Transformers.Models;
using MLNet.Transformers.Models.Bert;
using MLNet.Transformers.Tests.Checkpoints;
using MLNet.Transformers.Tests.Models;
using MLNet.Transformers.Tokenization;
using MLNet.Transformers.Training;
using static TorchSharp.torch;

namespace MLNet.Transformers.Tests.FineTuning;

[TestClass]
public sealed class SentenceSimilarityTests
{
    private sealed class PairRow
    {
        public string Sentence { get; set; } = "";
        public string Sentence2 { get; set; } = "";
        public float Label { get; set; }
    }

    private static string Fixture => BertParityTests.FixtureDirectory;

    /// <summary>Toy similarity: the label counts positive minus negative words over both sentences (so both segments matter).</summary>
    private static PairRow[] ToyPairs(int count, int seed)
    {
        string[] good = ["great", "wonderful", "superb", "brilliant"], bad = ["awful", "boring", "dull", "terrible"], filler = ["the", "film", "is", "a", "plot"];
        var random = new Random(seed);
        (string Text, int Polarity) Sentence()
        {
            int polarity = 0;
            var words = Enumerable.Range(0, 4).Select(j =>
            {
                if (j % 2 == 0) return filler[random.Next(filler.Length)];
                int kind = random.Next(3);
                polarity += kind == 0 ? 1 : kind == 1 ? -1 : 0;
                return kind == 0 ? good[random.Next(4)] : kind == 1 ? bad[random.Next(4)] : filler[random.Next(filler.Length)];
            }).ToList();
            return (string.Join(" ", words), polarity);
        }
        return Enumerable.Range(0, count).Select(_ =>
        {
            var (a, pa) = Sentence(); var (b, pb) = Sentence();
            return new PairRow { Sentence = a, Sentence2 = b, Label = (pa + pb) / 4f };
        }).ToArray();
    }

    [TestMethod]
    public void MLNetTestShape_AddsOneScoreColumn_AndRegressionEvaluateWorks()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(ToyPairs(8, seed: 1));
        var estimator = ml.Regression.Trainers.SentenceSimilarity(Fixture, sentence1ColumnName: "Sentence", maxEpochs: 1);
        var shape = estimator.GetOutputSchema(TextClassificationTests.EstimatorSchemaOf(data));
        Assert.AreEqual(4, shape.Count);
        Assert.AreEqual("Score", shape[3].Name);
        using var transformer = estimator.Fit(data);
        var schema = transformer.GetOutputSchema(data.Schema);
        Assert.AreEqual(4, schema.Count);
        Assert.AreEqual(NumberDataViewType.Single, schema["Score"].Type);
        var metrics = ml.Regression.Evaluate(transformer.Transform(data));
        Assert.IsTrue(double.IsFinite(metrics.MeanSquaredError));
    }

    [TestMethod]
    public void Learning_PairScoreIsLearnedAboveTheMeanBaseline()
    {
        using var threads = new SingleThreadedTorch();
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(ToyPairs(96, seed: 1));
        var test = ml.Data.LoadFromEnumerable(ToyPairs(48, seed: 2));
        using var model = ml.Regression.Trainers.SentenceSimilarity(new SentenceSimilarityOptions
        {
            CheckpointDirectory = Fixture, Sentence1ColumnName = "Sentence", MaxEpochs = 8, BatchSize = 16, MaxSequenceLength = 24,
            Training = new TrainerOptions { LearningRate = 3e-3 },
        }).Fit(train);
        var metrics = ml.Regression.Evaluate(model.Transform(test));
        Assert.IsTrue(metrics.RSquared > 0.5, $"held-out R² {metrics.RSquared:F3}");
    }

    [TestMethod]
    public void MaxEpochsZero_ScoreIsTheRegressionHeadsRawOutput_AsHuggingFace()
    {
        using var head = new HeadFixture(numLabels: 1, regression: true);
        var expected = BertParityTests.Expected.Load();
        using var model = EncoderCheckpoint.LoadForSequenceClassification(head.Path, 1, requireHead: true);
        model.eval();
        using (var scope = NewDisposeScope())
            BertParityTests.AssertClose(head.SequenceLogits(expected), model.forward(expected.InputIds, expected.TokenTypeIds, expected.AttentionMask), "logit");

        var ml = new MLContext(seed: 1);
        var rows = new[] { new PairRow { Sentence = "a man is playing a guitar.", Sentence2 = "someone plays music." }, new PairRow { Sentence = "the cat sleeps", Sentence2 = "stocks fell sharply" } };
        var data = ml.Data.LoadFromEnumerable(rows.Select(r => new { r.Sentence, r.Sentence2 }));
        using var transformer = ml.Regression.Trainers.SentenceSimilarity(head.Path, sentence1ColumnName: "Sentence", maxEpochs: 0).Fit(data);
        var scores = transformer.Transform(data).GetColumn<float>("Score").ToArray();
        var tokenizer = BertWordPieceTokenizer.FromDirectory(head.Path);
        for (int i = 0; i < rows.Length; i++)
        {
            using var scope = NewDisposeScope();
            var e = tokenizer.Encode(rows[i].Sentence, rows[i].Sentence2);
            Tensor Row(int[] v) => tensor(v.Select(x => (long)x).ToArray()).unsqueeze(0);
            var logit = model.forward(Row(e.InputIds), Row(e.TokenTypeIds), Row(e.AttentionMask))[0, 0].item<float>();
            Assert.AreEqual(logit, scores[i], 1e-5, $"row {i}");
        }

        // Saved back as HF's regression layout: problem_type regression, one output, loads bit-identically.
        using var dir = new TempDirectory();
        transformer.SaveCheckpoint(dir.Path);
        var config = BertCheckpoint.ReadConfig(dir.Path);
        Assert.AreEqual("regression", config.ProblemType);
        Assert.AreEqual(1, config.Id2Label!.Count);
        using var reloaded = ml.Regression.Trainers.SentenceSimilarity(dir.Path, sentence1ColumnName: "Sentence", maxEpochs: 0).Fit(data);
        CollectionAssert.AreEqual(scores, reloaded.Transform(data).GetColumn<float>("Score").ToArray());
    }

    [TestMethod]
    public void SchemaErrors_NonFloatLabelAndClassifierHeadNameTheColumn()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(ToyPairs(4, seed: 1).Select(r => new { r.Sentence, r.Sentence2, Label = r.Label.ToString() }));
        var e = Assert.ThrowsExactly<ArgumentException>(() => ml.Regression.Trainers.SentenceSimilarity(Fixture, sentence1ColumnName: "Sentence").Fit(data));
        StringAssert.Contains(e.Message, "'Label'");
        using var head = new HeadFixture(numLabels: 3);
        var floats = ml.Data.LoadFromEnumerable(ToyPairs(4, seed: 1));
        var count = Assert.ThrowsExactly<ArgumentException>(() => ml.Regression.Trainers.SentenceSimilarity(head.Path, sentence1ColumnName: "Sentence").Fit(floats));
        StringAssert.Contains(count.Message, "3 outputs");
    }
}
