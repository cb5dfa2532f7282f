using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transformers.Estimators;
using MLNet.Transformers.Models;
using MLNet.Transformers.Models.Bert;
using MLNet.Transformers.Tests.Checkpoints;
using MLNet.Transformers.Tests.Models;
using MLNet.Transformers.Tests.Persistence;
using MLNet.Transformers.Tokenization;
using MLNet.Transformers.Training;
using MLNet.Transformers.Transforms;
using static TorchSharp.torch;

namespace MLNet.Transformers.Tests.FineTuning;

[TestClass]
public sealed class TextClassificationTests
{
    internal sealed class SentimentRow
    {
        public string Sentence1 { get; set; } = "";
        public string Sentiment { get; set; } = "";
    }

    private sealed class NoLabelRow
    {
        public string Sentence1 { get; set; } = "";
    }

    private sealed class Prediction
    {
        public string Sentence1 { get; set; } = "";
        public string outputColumn { get; set; } = "";
        public float[] Score { get; set; } = [];
    }

    private static string Fixture => BertParityTests.FixtureDirectory;

    // The rows of ML.NET's own TextClassificationTests.TestSingleSentence3Classes (incl. one longer than the window).
    private static readonly SentimentRow[] ThreeClasses =
    [
        new() { Sentence1 = string.Concat(Enumerable.Repeat("ultimately feels as flat as the scruffy sands of its titular community . ", 40)), Sentiment = "Class One" },
        new() { Sentence1 = "with a sharp script and strong performances", Sentiment = "Class Two" },
        new() { Sentence1 = "that director m. night shyamalan can weave an eerie spell and", Sentiment = "Class Three" },
        new() { Sentence1 = "comfortable", Sentiment = "Class One" },
        new() { Sentence1 = "does have its charms .", Sentiment = "Class Two" },
        new() { Sentence1 = "banal as the telling", Sentiment = "Class Three" },
        new() { Sentence1 = "faithful without being forceful , sad without being shrill , `` a walk to remember '' succeeds through sincerity .", Sentiment = "Class One" },
        new() { Sentence1 = "leguizamo 's best movie work so far", Sentiment = "Class Two" },
    ];

    /// <summary>Separable toy sentiment: sentences built from positive or negative words.</summary>
    internal static SentimentRow[] ToySentiment(int count, int seed)
    {
        string[] good = ["great", "wonderful", "superb", "delightful", "brilliant", "charming", "moving", "excellent"];
        string[] bad = ["awful", "boring", "dull", "terrible", "tedious", "clumsy", "bland", "horrible"];
        string[] filler = ["the", "film", "is", "a", "story", "and", "very", "acting", "plot", "was"];
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(i =>
        {
            bool positive = i % 2 == 0;
            var words = Enumerable.Range(0, 6).Select(j => j % 3 == 1 ? (positive ? good : bad)[random.Next(8)] : filler[random.Next(filler.Length)]);
            return new SentimentRow { Sentence1 = string.Join(" ", words), Sentiment = positive ? "positive" : "negative" };
        }).ToArray();
    }

    [TestMethod]
    public void MLNetTestShape_MapValueToKey_TextClassification_MapKeyToValue_GivesMLNetsColumnsAndEvaluates()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(ThreeClasses);
        var estimator = ml.Transforms.Conversion.MapValueToKey("Label", "Sentiment")
            .Append(ml.MulticlassClassification.Trainers.TextClassification(Fixture, outputColumnName: "outputColumn", maxEpochs: 2))
            .Append(ml.Transforms.Conversion.MapKeyToValue("outputColumn"));

        var estimatorSchema = estimator.GetOutputSchema(EstimatorSchemaOf(data));
        Assert.AreEqual(5, estimatorSchema.Count);
        Assert.AreEqual("outputColumn", estimatorSchema[3].Name);
        Assert.AreEqual(TextDataViewType.Instance, estimatorSchema[3].ItemType);
        Assert.AreEqual("Score", estimatorSchema[4].Name);

        var transformer = estimator.Fit(data);
        var schema = transformer.GetOutputSchema(data.Schema);
        Assert.AreEqual(6, schema.Count);   // the key outputColumn stays, hidden, before MapKeyToValue's text column
        Assert.AreEqual("outputColumn", schema[4].Name);
        Assert.AreEqual(TextDataViewType.Instance, schema[4].Type);
        Assert.AreEqual("Score", schema[5].Name);
        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, 3), schema[5].Type);
        var slotNames = default(VBuffer<ReadOnlyMemory<char>>);
        schema[5].GetSlotNames(ref slotNames);
        CollectionAssert.AreEqual(new[] { "Class One", "Class Two", "Class Three" }, slotNames.DenseValues().Select(s => s.ToString()).ToArray());

        var output = transformer.Transform(data);
        var predicted = output.GetColumn<string>("outputColumn").ToList();
        Assert.AreEqual(8, predicted.Count);
        Assert.IsTrue(predicted.All(p => p is "Class One" or "Class Two" or "Class Three"));
        foreach (var score in output.GetColumn<float[]>("Score")) Assert.AreEqual(1.0, score.Sum(), 1e-5);

        // Scoring data without a label (ML.NET's test scores TestSingleSentenceDataNoLabel through the scoring part).
        var noLabel = ml.Data.LoadFromEnumerable(ThreeClasses.Select(r => new NoLabelRow { Sentence1 = r.Sentence1 }));
        var scoringOnly = transformer.Skip(1).Aggregate(noLabel, (d, t) => t.Transform(d));
        CollectionAssert.AreEqual(predicted, scoringOnly.GetColumn<string>("outputColumn").ToList());

        var keyed = ml.Transforms.Conversion.MapValueToKey("Label", "Sentiment").Fit(data).Transform(data);
        var fitted = ml.MulticlassClassification.Trainers.TextClassification(Fixture, maxEpochs: 1).Fit(keyed);
        var metrics = ml.MulticlassClassification.Evaluate(fitted.Transform(keyed));
        Assert.IsTrue(metrics.MicroAccuracy is >= 0 and <= 1);
        Assert.AreEqual(3, metrics.PerClassLogLoss.Count);
    }

    internal static SchemaShape EstimatorSchemaOf(IDataView data) => MLNet.Transformers.Transforms.Infrastructure.EstimatorSchema.ShapeOf(data.Schema);

    [TestMethod]
    public void CrossValidate_RunsOnTheTrainer()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(ToySentiment(16, seed: 3));
        var keyed = ml.Transforms.Conversion.MapValueToKey("Label", "Sentiment").Fit(data).Transform(data);
        var results = ml.MulticlassClassification.CrossValidate(keyed,
            ml.MulticlassClassification.Trainers.TextClassification(Fixture, maxEpochs: 1, batchSize: 8), numberOfFolds: 2);
        Assert.AreEqual(2, results.Count);
        foreach (var fold in results) Assert.IsTrue(fold.Metrics.MicroAccuracy is >= 0 and <= 1);
    }

    [TestMethod]
    public void Learning_ToySentimentIsLearnedFromARandomTinyBert()
    {
        using var threads = new SingleThreadedTorch();
        var ml = new MLContext(seed: 1);
        var toKey = ml.Transforms.Conversion.MapValueToKey("Label", "Sentiment");
        var train = ml.Data.LoadFromEnumerable(ToySentiment(64, seed: 1));
        var test = ml.Data.LoadFromEnumerable(ToySentiment(32, seed: 2));
        var pipeline = toKey.Append(ml.MulticlassClassification.Trainers.TextClassification(new TextClassificationOptions
        {
            CheckpointDirectory = Fixture, MaxEpochs = 10, BatchSize = 16, MaxSequenceLength = 32,
            Training = new TrainerOptions { LearningRate = 3e-3 },
        }));
        var model = pipeline.Fit(train);
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(test));
        Assert.IsTrue(metrics.MicroAccuracy >= 0.9, $"held-out accuracy {metrics.MicroAccuracy:P1}");
    }

    [TestMethod]
    public void MaxEpochsZero_ScoresWithTheCheckpointHead_EqualToHuggingFaceMath()
    {
        using var head = new HeadFixture(numLabels: 3, names: ["neg", "neu", "pos"]);
        var expected = BertParityTests.Expected.Load();
        using var model = EncoderCheckpoint.LoadForSequenceClassification(head.Path, 3, requireHead: true);
        model.eval();
        using (var scope = NewDisposeScope())
            BertParityTests.AssertClose(head.SequenceLogits(expected), model.forward(expected.InputIds, expected.TokenTypeIds, expected.AttentionMask), "logits");

        // Through the pipeline: no label column, classes and their names from id2label, Score = softmax of the logits.
        var ml = new MLContext(seed: 1);
        string[] texts = ["a gripping, funny and moving film.", "dull and far too long.", "Café naïve résumé"];
        var data = ml.Data.LoadFromEnumerable(texts.Select(t => new NoLabelRow { Sentence1 = t }));
        using var transformer = ml.MulticlassClassification.Trainers.TextClassification(head.Path, maxEpochs: 0).Fit(data);
        var output = transformer.Transform(data);
        var scores = output.GetColumn<float[]>("Score").ToArray();
        var tokenizer = BertWordPieceTokenizer.FromDirectory(head.Path);
        for (int i = 0; i < texts.Length; i++)
        {
            using var scope = NewDisposeScope();
            var e = tokenizer.Encode(texts[i]);
            var ids = tensor(e.InputIds.Select(x => (long)x).ToArray()).unsqueeze(0);
            var probabilities = model.forward(ids, zeros_like(ids), ones_like(ids)).softmax(-1)[0];
            BertParityTests.AssertClose(probabilities, tensor(scores[i]), $"row {i}");
        }
        var names = ml.Transforms.Conversion.MapKeyToValue("Name", "PredictedLabel").Fit(output).Transform(output).GetColumn<string>("Name").ToArray();
        CollectionAssert.AreEqual(scores.Select(s => new[] { "neg", "neu", "pos" }[Array.IndexOf(s, s.Max())]).ToArray(), names);
    }

    [TestMethod]
    public void CheckpointVariants_LegacyNamesUnprefixedKeysAndHalfStorage_LoadToTheSameHead()
    {
        var expected = BertParityTests.Expected.Load();
        static string Legacy(string key) =>
            (key.StartsWith("bert.") ? key[5..] : key).Replace("LayerNorm.weight", "LayerNorm.gamma").Replace("LayerNorm.bias", "LayerNorm.beta");
        using var legacy = new HeadFixture(numLabels: 2, renameKey: Legacy);
        using var model = EncoderCheckpoint.LoadForSequenceClassification(legacy.Path, 2, requireHead: true);
        model.eval();
        using (var scope = NewDisposeScope())
            BertParityTests.AssertClose(legacy.SequenceLogits(expected), model.forward(expected.InputIds, expected.TokenTypeIds, expected.AttentionMask), "legacy");

        using var half = new HeadFixture(numLabels: 2, storage: ScalarType.Float16);
        using var halfModel = EncoderCheckpoint.LoadForSequenceClassification(half.Path, 2, requireHead: true);
        halfModel.eval();
        using (var scope = NewDisposeScope())
        {
            var logits = halfModel.forward(expected.InputIds, expected.TokenTypeIds, expected.AttentionMask);
            var diff = (half.SequenceLogits(expected) - logits.to(ScalarType.Float64)).abs().max().item<double>();
            Assert.IsTrue(diff < 0.02, $"f16 storage: max |diff| {diff} (the encoder's weights are rounded to f16)");
        }
    }

    [TestMethod]
    public void PretrainingCheckpoint_ClsHeadsIgnored_FreshHeadFromTheSeed()
    {
        var ml = new MLContext(seed: 5);
        var data = ml.Transforms.Conversion.MapValueToKey("Label", "Sentiment").Fit(ml.Data.LoadFromEnumerable(ThreeClasses)).Transform(ml.Data.LoadFromEnumerable(ThreeClasses));
        float[][] Scores(int seed)
        {
            // Learning rate 0: one step that changes nothing, so the scores show the fresh head itself.
            var options = new TextClassificationOptions { CheckpointDirectory = Fixture, MaxEpochs = 1, Training = new TrainerOptions { Seed = seed, LearningRate = 0 } };
            using var t = ml.MulticlassClassification.Trainers.TextClassification(options).Fit(data);
            return t.Transform(data).GetColumn<float[]>("Score").ToArray();
        }
        var a = Scores(1); var b = Scores(1); var c = Scores(2);
        Assert.IsTrue(a.Zip(b).All(p => p.First.SequenceEqual(p.Second)), "same seed, same fresh head");
        Assert.IsFalse(a.Zip(c).All(p => p.First.SequenceEqual(p.Second)), "another seed, another head");
    }

    [TestMethod]
    public void FreezeEncoder_TrainsTheHeadOnly_AndValidationReportsAccuracy()
    {
        var ml = new MLContext(seed: 1);
        var toKey = ml.Transforms.Conversion.MapValueToKey("Label", "Sentiment").Fit(ml.Data.LoadFromEnumerable(ToySentiment(8, 1)));
        var train = toKey.Transform(ml.Data.LoadFromEnumerable(ToySentiment(16, seed: 1)));
        var valid = toKey.Transform(ml.Data.LoadFromEnumerable(ToySentiment(8, seed: 2)));
        var estimator = ml.MulticlassClassification.Trainers.TextClassification(new TextClassificationOptions
        {
            CheckpointDirectory = Fixture, MaxEpochs = 2, BatchSize = 8, FreezeEncoder = true, Head = ClassificationHead.Cls, ValidationSet = valid,
            Training = new TrainerOptions { LearningRate = 1e-2 },
        });
        using var transformer = estimator.Fit(train);
        using var dir = new TempDirectory();
        transformer.SaveCheckpoint(dir.Path);
        var original = MLNet.Transformers.Checkpoints.CheckpointLoader.LoadStateDict(Fixture);
        var trained = MLNet.Transformers.Checkpoints.CheckpointLoader.LoadStateDict(dir.Path);
        Assert.IsFalse(trained.Keys.Any(k => k.Contains("pooler")), "the plain head has no pooler");
        foreach (var key in trained.Keys.Where(k => k.StartsWith("bert.")))
            Assert.IsTrue(BertParityTests.Identical(original[key], trained[key]), $"{key} stayed frozen");
        Assert.IsTrue(trained["classifier.weight"].abs().sum().item<float>() > 0);
        var history = estimator.LastTrainingResult!.ValidationHistory;
        Assert.AreEqual(2, history.Count, "validated after each epoch");
        Assert.IsTrue(history.All(v => v.Metrics["Accuracy"] is >= 0 and <= 1 && double.IsFinite(v.Loss)));
    }

    [TestMethod]
    public void TokenClassificationCheckpointWithoutPooler_StartsAFreshPoolerForTraining_ButNotForScoring()
    {
        using var tokenHead = new HeadFixture(numLabels: 3, dropPooler: true);
        using var trainable = EncoderCheckpoint.LoadForSequenceClassification(tokenHead.Path, 3);
        Assert.IsTrue(trainable.state_dict().ContainsKey("bert.pooler.dense.weight"));
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => EncoderCheckpoint.LoadForSequenceClassification(tokenHead.Path, 3, requireHead: true));
        StringAssert.Contains(e.Message, "bert.pooler.dense.weight");
    }

    [TestMethod]
    public void ValidationSetWithOtherKeyValues_IsAnErrorNamingTheColumn()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Transforms.Conversion.MapValueToKey("Label", "Sentiment").Fit(ml.Data.LoadFromEnumerable(ToySentiment(8, 1))).Transform(ml.Data.LoadFromEnumerable(ToySentiment(8, 1)));
        var other = ml.Data.LoadFromEnumerable(ToySentiment(8, 2).Skip(1));   // starts with "negative": keys in the other order
        var valid = ml.Transforms.Conversion.MapValueToKey("Label", "Sentiment").Fit(other).Transform(other);
        var e = Assert.ThrowsExactly<ArgumentException>(() => ml.MulticlassClassification.Trainers.TextClassification(Fixture, maxEpochs: 1, validationSet: valid).Fit(train));
        StringAssert.Contains(e.Message, "'Label' of the validation set");
    }

    [TestMethod]
    public void PlainClsHead_AddsExactlyHiddenTimesClassesPlusClassesParameters()
    {
        var config = BertCheckpoint.ReadConfig(Fixture);
        using var encoder = new BertModel(config, addPoolingLayer: false);
        using var classifier = new BertForSequenceClassification(config, numLabels: 5, ClassificationHead.Cls);
        long Count(TorchSharp.torch.nn.Module m) => m.parameters().Sum(p => p.numel());
        Assert.AreEqual(32L * 5 + 5, Count(classifier) - Count(encoder));
    }

    [TestMethod]
    public void PairPacking_SegmentsAndLongestFirstTruncationKeepBothSentences()
    {
        var tokenizer = BertWordPieceTokenizer.FromDirectory(Fixture);
        var e = tokenizer.Encode("the cat sat", "on the mat");
        int sep = Array.IndexOf(e.InputIds, tokenizer.SepTokenId);
        Assert.AreEqual(tokenizer.ClsTokenId, e.InputIds[0]);
        Assert.IsTrue(e.TokenTypeIds.Take(sep + 1).All(t => t == 0), "[CLS] A [SEP] is segment 0");
        Assert.IsTrue(e.TokenTypeIds.Skip(sep + 1).All(t => t == 1), "B [SEP] is segment 1");
        Assert.AreEqual(tokenizer.SepTokenId, e.InputIds[^1]);

        var longA = string.Join(" ", Enumerable.Repeat("film", 100));
        var cut = tokenizer.Encode(longA, "short pair here", maxLength: 16);
        Assert.AreEqual(16, cut.InputIds.Length);
        Assert.AreEqual(3, cut.TokenTypeIds.Count(t => t == 1) - 1, "the short second sentence is kept whole");
        Assert.IsTrue(cut.TokenTypeIds.Count(t => t == 0) > 2, "the first sentence keeps tokens too");
    }

    [TestMethod]
    public void SaveLoad_TwiceInProcess_FreshProcess_PredictionEngine_AndCheckpointRoundTrip()
    {
        var ml = new MLContext(seed: 1);
        var rows = ToySentiment(8, seed: 4).Select(r => new FreshProcess.ProbeData.Row { Text = r.Sentence1, Text2 = r.Sentiment }).ToArray();
        var data = ml.Data.LoadFromEnumerable(rows);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label", "Text2")
            .Append(ml.MulticlassClassification.Trainers.TextClassification(Fixture, sentence1ColumnName: "Text", maxEpochs: 1, batchSize: 4));
        var model = pipeline.Fit(data);
        var probe = FreshProcess.ProbeData.Sample(ml);
        var before = FreshProcess.ProbeData.FormatVector(model.Transform(probe), "Score").ToArray();

        using var dir = new TempDirectory();
        ml.Model.Save(model, data.Schema, dir.File("model.zip"));
        for (int i = 0; i < 2; i++)
        {
            var loaded = ml.Model.Load(dir.File("model.zip"), out _);
            CollectionAssert.AreEqual(before, FreshProcess.ProbeData.FormatVector(loaded.Transform(probe), "Score").ToArray(), $"load {i + 1}");
        }
        CollectionAssert.AreEqual(before, FreshProcessRunner.Run(dir.File("model.zip"), "--vector", "Score"));

        var engine = ml.Model.CreatePredictionEngine<FreshProcess.ProbeData.Row, ScoreOnly>(model);
        var one = engine.Predict(FreshProcess.ProbeData.Rows[0]);
        Assert.AreEqual(before[0], string.Join(" ", one.Score.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture))));

        // SaveCheckpoint writes HF layout with the key values as id2label; loading it back scores bit-identically.
        var classifier = model.LastTransformer;
        classifier.SaveCheckpoint(dir.File("checkpoint"));
        var config = BertCheckpoint.ReadConfig(dir.File("checkpoint"));
        CollectionAssert.AreEqual(new[] { "BertForSequenceClassification" }, config.Architectures);
        Assert.AreEqual("negative", config.Id2Label!["1"]);   // MapValueToKey orders keys by first appearance: positive, negative
        Assert.AreEqual(1, config.Label2Id!["negative"]);
        Assert.IsTrue(File.Exists(dir.File("checkpoint/vocab.txt")) && File.Exists(dir.File("checkpoint/tokenizer_config.json")));
        var keyed = ml.Transforms.Conversion.MapValueToKey("Label", "Text2").Fit(data).Transform(data);
        using var reloaded = ml.MulticlassClassification.Trainers.TextClassification(dir.File("checkpoint"), sentence1ColumnName: "Text", maxEpochs: 0).Fit(keyed);
        CollectionAssert.AreEqual(before, FreshProcess.ProbeData.FormatVector(reloaded.Transform(probe), "Score").ToArray());
        using var again = new TempDirectory();
        reloaded.SaveCheckpoint(again.Path);
        CollectionAssert.AreEqual(File.ReadAllBytes(dir.File("checkpoint/model.safetensors")), File.ReadAllBytes(again.File("model.safetensors")));
    }

    private sealed class LabelValue
    {
        public string Sentiment { get; set; } = "";
    }

    private sealed class ScoreOnly
    {
        public float[] Score { get; set; } = [];
    }

    [TestMethod]
    public void SchemaErrors_NameTheColumn()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(ThreeClasses);
        var keyed = ml.Transforms.Conversion.MapValueToKey("Label", "Sentiment").Fit(data).Transform(data);
        var missing = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.TextClassification(Fixture, sentence1ColumnName: "Nope").Fit(keyed));
        StringAssert.Contains(missing.Message, "'Nope'");
        var notKey = Assert.ThrowsExactly<ArgumentException>(() => ml.MulticlassClassification.Trainers.TextClassification(Fixture, labelColumnName: "Sentiment").Fit(keyed));
        StringAssert.Contains(notKey.Message, "'Sentiment'");
        var noLabel = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.TextClassification(Fixture).Fit(data));
        StringAssert.Contains(noLabel.Message, "'Label'");

        using var head = new HeadFixture(numLabels: 2);
        var count = Assert.ThrowsExactly<ArgumentException>(() => ml.MulticlassClassification.Trainers.TextClassification(head.Path, maxEpochs: 1).Fit(keyed));
        StringAssert.Contains(count.Message, "'Label' has 3 classes");
        StringAssert.Contains(count.Message, "2 outputs");

        using var named = new HeadFixture(numLabels: 3, names: ["a", "b", "c"]);
        var names = Assert.ThrowsExactly<ArgumentException>(() => ml.MulticlassClassification.Trainers.TextClassification(named.Path, maxEpochs: 1).Fit(keyed));
        StringAssert.Contains(names.Message, "id2label");
        var noHead = Assert.ThrowsExactly<InvalidOperationException>(() => ml.MulticlassClassification.Trainers.TextClassification(Fixture, maxEpochs: 0).Fit(data));
        StringAssert.Contains(noHead.Message, "no classifier head");
    }

    [TestMethod]
    public void BadRows_EmptySentenceIsAnErrorNamingColumnAndRow()
    {
        var ml = new MLContext(seed: 1);
        var rows = ToySentiment(6, seed: 1);
        rows[4].Sentence1 = "   ";
        var data = ml.Data.LoadFromEnumerable(rows);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label", "Sentiment").Append(ml.MulticlassClassification.Trainers.TextClassification(Fixture, maxEpochs: 1));
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => pipeline.Fit(data));
        StringAssert.Contains(e.Message, "'Sentence1', row 4");

        // A label value outside keyData maps to the missing key 0.
        rows[4].Sentence1 = "a fine film";
        rows[3].Sentiment = "neutral";
        var keyData = ml.Data.LoadFromEnumerable(new[] { new LabelValue { Sentiment = "positive" }, new LabelValue { Sentiment = "negative" } });
        var missingKey = ml.Transforms.Conversion.MapValueToKey("Label", "Sentiment", keyData: keyData)
            .Append(ml.MulticlassClassification.Trainers.TextClassification(Fixture, maxEpochs: 1));
        var keyError = Assert.ThrowsExactly<InvalidOperationException>(() => missingKey.Fit(ml.Data.LoadFromEnumerable(rows)));
        StringAssert.Contains(keyError.Message, "'Label', row 3");
    }

}
