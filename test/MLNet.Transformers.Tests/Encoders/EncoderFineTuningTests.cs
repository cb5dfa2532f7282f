using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transformers.Models;
using MLNet.Transformers.Estimators;
using MLNet.Transformers.Tests.Checkpoints;
using MLNet.Transformers.Tests.FineTuning;
using BertParityTests = MLNet.Transformers.Tests.Models.BertParityTests;
using MLNet.Transformers.Tokenization;
using MLNet.Transformers.Training;
using static TorchSharp.torch;
using static MLNet.Transformers.Tests.Encoders.HfReference;

namespace MLNet.Transformers.Tests.Encoders;

/// <summary>
/// TextClassification from RoBERTa and DistilBERT checkpoints: <c>maxEpochs: 0</c> scores with the checkpoint's own head
/// exactly as HF's math (single texts and pairs), a short fine-tuning run learns, and the result round-trips through
/// SaveCheckpoint (HF layout) and Model.Save/Load.
/// </summary>
[TestClass]
public sealed class EncoderFineTuningTests
{
    private sealed class Text
    {
        public string Sentence1 { get; set; } = "";
        public string Sentence2 { get; set; } = "";
    }

    private static readonly Text[] Texts =
    [
        new() { Sentence1 = "Hello world", Sentence2 = "The cat sat on the mat." },
        new() { Sentence1 = "a gripping, funny and moving film.", Sentence2 = "world" },
        new() { Sentence1 = "Café naïve résumé — 東京 😀", Sentence2 = "dull and far too long." },
    ];

    private static readonly Dictionary<string, string> Labels = new() { ["0"] = "NEGATIVE", ["1"] = "NEUTRAL", ["2"] = "POSITIVE" };
    private static EncoderFixture roberta = null!, distilbert = null!;

    [ClassInitialize]
    public static void Create(TestContext _)
    {
        roberta = WithTokenizerVocabulary("roberta");
        distilbert = WithTokenizerVocabulary("distilbert");
    }

    [ClassCleanup]
    public static void Remove() { roberta.Dispose(); distilbert.Dispose(); }

    internal static string Folder(EncoderFixture f, string kind)
    {
        var dir = f.Write(kind, withPooler: kind == "Pretrained", id2label: kind == "SequenceClassification" ? Labels : null);
        AddTokenizer(f, dir);
        return dir;
    }

    /// <summary>
    /// The family's fixture with one embedding per piece of the tokenizer <see cref="AddTokenizer"/> writes: RoBERTa's test BPE
    /// vocabulary, or the BERT fixture's vocab.txt (30,522 pieces) for DistilBERT.
    /// </summary>
    internal static EncoderFixture WithTokenizerVocabulary(string family) => family == "roberta"
        ? EncoderFixture.Roberta(vocabSize: RobertaVocabulary.Build().Count)
        : EncoderFixture.DistilBert(vocabSize: 30522);

    /// <summary>Writes the family's tokenizer files into a checkpoint folder (RoBERTa's BPE, or the BERT fixture's WordPiece for DistilBERT).</summary>
    internal static void AddTokenizer(EncoderFixture f, string dir)
    {
        if (f.ModelType == "roberta") RobertaVocabulary.WriteTo(dir);
        else foreach (var file in new[] { "vocab.txt", "tokenizer_config.json" })
                File.Copy(Path.Combine(BertParityTests.FixtureDirectory, file), Path.Combine(dir, file), overwrite: true);
    }

    [TestMethod]
    [DataRow("roberta", false)]
    [DataRow("roberta", true)]
    [DataRow("distilbert", false)]
    [DataRow("distilbert", true)]
    public void MaxEpochsZero_ScoresWithTheCheckpointHead_EqualToHuggingFaceMath(string family, bool pairs)
    {
        var f = family == "roberta" ? roberta : distilbert;
        var dir = Folder(f, "SequenceClassification");
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Texts);
        using var transformer = ml.MulticlassClassification.Trainers.TextClassification(new TextClassificationOptions
        {
            CheckpointDirectory = dir, MaxEpochs = 0, Sentence2ColumnName = pairs ? "Sentence2" : null,
        }).Fit(data);
        var scores = transformer.Transform(data).GetColumn<float[]>("Score").ToArray();
        var tokenizer = EncoderCheckpoint.LoadTokenizer(dir);
        for (int i = 0; i < Texts.Length; i++)
        {
            using var scope = NewDisposeScope();
            var e = tokenizer.Encode(Texts[i].Sentence1, pairs ? Texts[i].Sentence2 : null);
            var ids = tensor(e.InputIds.Select(x => (long)x).ToArray()).unsqueeze(0);
            var logits = family == "roberta"
                ? RobertaSequenceLogits(f.W, Roberta(f.W, ids, ones_like(ids)).Hidden)
                : DistilBertSequenceLogits(f.W, DistilBert(f.W, ids, ones_like(ids)));
            AssertClose(logits.softmax(-1)[0], tensor(scores[i]), $"row {i}");
        }
    }

    [TestMethod]
    [DataRow("roberta")]
    [DataRow("distilbert")]
    public void Learning_ToySentiment_ThenSaveCheckpointAndModelSaveLoadKeepScores(string family)
    {
        var dir = Folder(family == "roberta" ? roberta : distilbert, "Pretrained");
        var ml = new MLContext(seed: 1);
        var toKey = ml.Transforms.Conversion.MapValueToKey("Label", "Sentiment");
        var train = ml.Data.LoadFromEnumerable(TextClassificationTests.ToySentiment(128, seed: 1));
        var test = ml.Data.LoadFromEnumerable(TextClassificationTests.ToySentiment(32, seed: 2));
        var model = toKey.Append(ml.MulticlassClassification.Trainers.TextClassification(new TextClassificationOptions
        {
            CheckpointDirectory = dir, MaxEpochs = 10, BatchSize = 16, MaxSequenceLength = 32,
            Training = new TrainerOptions { LearningRate = 3e-3 },
        })).Fit(train);
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(test));
        Assert.IsTrue(metrics.MicroAccuracy >= 0.9, $"{family}: held-out accuracy {metrics.MicroAccuracy:P1}");

        var scores = model.Transform(test).GetColumn<float[]>("Score").ToArray();
        using var saved = new TempDirectory();
        var classifier = model.LastTransformer;
        classifier.SaveCheckpoint(saved.Path);
        StringAssert.Contains(File.ReadAllText(saved.File("config.json")), family == "roberta" ? "RobertaForSequenceClassification" : "DistilBertForSequenceClassification");
        Assert.IsTrue(File.Exists(saved.File(family == "roberta" ? "merges.txt" : "vocab.txt")));
        using var reloaded = ml.MulticlassClassification.Trainers.TextClassification(saved.Path, maxEpochs: 0).Fit(test);
        var again = reloaded.Transform(test).GetColumn<float[]>("Score").ToArray();
        for (int i = 0; i < scores.Length; i++) for (int j = 0; j < scores[i].Length; j++) Assert.AreEqual(scores[i][j], again[i][j], 1e-5f, $"row {i} after SaveCheckpoint");

        ml.Model.Save(model, train.Schema, saved.File("model.zip"));
        var loaded = ml.Model.Load(saved.File("model.zip"), out _);
        var loadedScores = loaded.Transform(test).GetColumn<float[]>("Score").ToArray();
        for (int i = 0; i < scores.Length; i++) CollectionAssert.AreEqual(scores[i], loadedScores[i], $"row {i} after Model.Load");
        (loaded as IDisposable)?.Dispose();
        classifier.Dispose();
    }

    [TestMethod]
    public void ClsHead_OnRoberta_IsAnErrorNamingTheModelType()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(TextClassificationTests.ToySentiment(8, seed: 1));
        var e = Assert.Throws<NotSupportedException>(() => ml.Transforms.Conversion.MapValueToKey("Label", "Sentiment").Append(
            ml.MulticlassClassification.Trainers.TextClassification(new TextClassificationOptions
            {
                CheckpointDirectory = Folder(roberta, "Pretrained"), MaxEpochs = 1, Head = ClassificationHead.Cls,
            })).Fit(data));
        StringAssert.Contains(e.Message, "roberta");
    }
}
