using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transformers.Estimators;
using MLNet.Transformers.Models;
using MLNet.Transformers.Tests.Checkpoints;
using MLNet.Transformers.Tests.Encoders;
using MLNet.Transformers.Tests.FineTuning;
using MLNet.Transformers.Tokenization;
using MLNet.Transformers.Training;
using MLNet.Transformers.Transforms;
using static TorchSharp.torch;

namespace MLNet.Transformers.Tests.Inference;

/// <summary>
/// ExportOnnx for RoBERTa and DistilBERT (tiny random checkpoints in HF layout, <see cref="EncoderFixture"/>): the encoder
/// with every pooling (and L2 Normalize, also a sentence-transformers folder's), the sequence classifier (each family's own head; regression too) and the token classifier run in ONNX
/// Runtime and equal our TorchSharp transformers to 1e-4 on real sentences in one padded batch of different lengths, single
/// texts and pairs; RoBERTa's in-graph positions give a padded row the vector it gets alone; int8 stays close.
/// </summary>
[TestClass]
public sealed class OnnxEncoderFamilyExportTests
{
    private static readonly string[] Sentences = ScoringPrecisionTests.Sentences;
    // Second texts of the pairs, short enough that no pair is truncated at the fixtures' 38 tokens.
    private static readonly string[] Seconds =
    [
        "a sometimes tedious film .", "it 's slow -- very , very slow .", "nolan is poised", "dull", "unflinchingly bleak and desperate",
        "a charming journey", "the film is a refreshingly serious look at young women .", "sound are all astounding",
    ];
    private static EncoderFixture roberta = null!, distilbert = null!;

    private class Row { public string Text { get; set; } = ""; public string Second { get; set; } = ""; }
    private sealed class RegressionRow : Row { public float Label { get; set; } }

    [ClassInitialize]
    public static void Create(TestContext _)
    {
        roberta = EncoderFineTuningTests.WithTokenizerVocabulary("roberta");
        distilbert = EncoderFineTuningTests.WithTokenizerVocabulary("distilbert");
    }

    [ClassCleanup]
    public static void Remove() { roberta.Dispose(); distilbert.Dispose(); }

    private static EncoderFixture Family(string family) => family == "roberta" ? roberta : distilbert;

    /// <summary>The family's tokenizer on the test sentences (and pairs), padded to the longest row; checks the batch really is padded.</summary>
    internal static EncodedTextBatch PaddedBatch(string checkpoint, IReadOnlyList<string> texts, IReadOnlyList<string>? pairs = null)
    {
        var batch = EncoderCheckpoint.LoadTokenizer(checkpoint).EncodeBatch(texts, pairs, maxLength: 38);
        var lengths = batch.Encodings.Select(e => e.AttentionMask.Sum()).ToArray();
        Assert.IsGreaterThan(2, lengths.Distinct().Count(), "rows of different lengths");
        Assert.IsLessThan(38, lengths.Max(), "no row truncated");
        return batch;
    }

    private static IDataView Data(MLContext ml) => ml.Data.LoadFromEnumerable(Sentences.Select((s, i) => new Row { Text = s, Second = Seconds[i] }));

    private static TransformerEmbeddingTransformer Embedding(string checkpoint, EmbeddingPooling pooling, bool pairs = false, bool? normalize = null)
    {
        var ml = new MLContext(seed: 1);
        var settings = new TransformerEmbeddingSettings("E", "Text", pairs ? "Second" : null, pooling, 128, 8, Normalize: normalize);
        return ml.Transforms.Text.TransformerEmbedding(checkpoint, settings).Fit(Data(ml));
    }

    // Our TorchSharp encoder's last hidden state for the same batch (the transformer does not hand it out).
    internal static float[] TorchHidden(string checkpoint, EncodedTextBatch batch)
    {
        using var scope = NewDisposeScope();
        var encoder = EncoderCheckpoint.LoadEncoder(checkpoint, withPooler: false);
        using var module = (nn.Module)encoder;
        module.eval();
        var shape = new long[] { batch.BatchSize, batch.SequenceLength };
        return encoder.forward(tensor(batch.InputIds, shape), tensor(batch.TokenTypeIds, shape), tensor(batch.AttentionMask, shape))
            .LastHiddenState.contiguous().data<float>().ToArray();
    }

    [TestMethod]
    [DataRow("roberta", EmbeddingPooling.Cls, false)]
    [DataRow("roberta", EmbeddingPooling.Mean, true)]
    [DataRow("roberta", EmbeddingPooling.Max, false)]
    [DataRow("roberta", EmbeddingPooling.Pooler, true)]
    [DataRow("distilbert", EmbeddingPooling.Cls, false)]
    [DataRow("distilbert", EmbeddingPooling.Mean, true)]
    [DataRow("distilbert", EmbeddingPooling.Max, false)]
    public void EncoderExport_MatchesTheTransformerWithin1e4_OnAPaddedBatch(string family, EmbeddingPooling pooling, bool pairs)
    {
        using var dir = new TempDirectory();
        var checkpoint = EncoderFineTuningTests.Folder(Family(family), "Pretrained");
        using var transformer = Embedding(checkpoint, pooling, pairs);
        transformer.ExportOnnx(dir.File("encoder.onnx"));

        var batch = PaddedBatch(checkpoint, Sentences, pairs ? Seconds : null);
        var outputs = OnnxClassifierExportTests.Run(dir.File("encoder.onnx"), batch);
        Assert.IsLessThan(1e-4, OnnxExportTests.MaxAbs(outputs["last_hidden_state"], TorchHidden(checkpoint, batch)), "last_hidden_state");
        var expected = transformer.Embed(Sentences, pairs ? Seconds : null).SelectMany(e => e).ToArray();
        Assert.IsLessThan(1e-4, OnnxExportTests.MaxAbs(outputs["embedding"], expected), $"{family} {pooling} embedding");
    }

    [TestMethod]
    [DataRow("sentence-transformers")]
    [DataRow("roberta")]
    [DataRow("distilbert")]
    public void NormalizedEmbeddingExport_GivesUnitVectorsEqualToTheTransformers(string source)
    {
        using var dir = new TempDirectory();
        // A sentence-transformers folder (BERT fixture, mean pooling + Normalize module from modules.json), or normalize: true on a family checkpoint.
        using var folder = source == "sentence-transformers" ? EncoderEmbeddingTests.SentenceTransformersFolder("mean", normalize: true) : null;
        var checkpoint = folder?.Path ?? EncoderFineTuningTests.Folder(Family(source), "Pretrained");
        using var transformer = folder is null ? Embedding(checkpoint, EmbeddingPooling.Max, normalize: true) : Embedding(checkpoint, EmbeddingPooling.Default);
        Assert.IsTrue(transformer.Settings.Normalize);
        transformer.ExportOnnx(dir.File("encoder.onnx"));

        var tokenizer = folder is null ? EncoderCheckpoint.LoadTokenizer(checkpoint) : BertWordPieceTokenizer.FromDirectory(checkpoint);
        var embedding = OnnxClassifierExportTests.Run(dir.File("encoder.onnx"), tokenizer.EncodeBatch(Sentences, null, 38))["embedding"];
        var expected = transformer.Embed(Sentences);
        int h = expected[0].Length;
        for (int i = 0; i < Sentences.Length; i++)
        {
            var row = embedding.AsSpan(i * h, h).ToArray();
            Assert.AreEqual(1.0, Math.Sqrt(row.Sum(x => (double)x * x)), 1e-5, $"{source} row {i} norm");
            Assert.IsLessThan(1e-4, OnnxExportTests.MaxAbs(row, expected[i]), $"{source} row {i}");
        }
    }

    [TestMethod]
    public void RobertaExport_PositionsSkipPadding_SoAPaddedRowGetsTheVectorItGetsAlone()
    {
        using var dir = new TempDirectory();
        var checkpoint = EncoderFineTuningTests.Folder(roberta, "Pretrained");
        using var transformer = Embedding(checkpoint, EmbeddingPooling.Mean);
        transformer.ExportOnnx(dir.File("encoder.onnx"));
        var batched = OnnxClassifierExportTests.Run(dir.File("encoder.onnx"), PaddedBatch(checkpoint, Sentences))["embedding"];
        var tokenizer = EncoderCheckpoint.LoadTokenizer(checkpoint);
        int h = EncoderFixture.Hidden;
        for (int i = 0; i < Sentences.Length; i++)
        {
            var alone = OnnxClassifierExportTests.Run(dir.File("encoder.onnx"), tokenizer.EncodeBatch([Sentences[i]], null, 38))["embedding"];
            Assert.IsLessThan(1e-5, OnnxExportTests.MaxAbs(batched.AsSpan(i * h, h).ToArray(), alone), $"row {i}");
        }
    }

    [TestMethod]
    public void DistilBertExport_IgnoresTokenTypeIds()
    {
        using var dir = new TempDirectory();
        var checkpoint = EncoderFineTuningTests.Folder(distilbert, "Pretrained");
        using var transformer = Embedding(checkpoint, EmbeddingPooling.Mean, pairs: true);
        transformer.ExportOnnx(dir.File("encoder.onnx"));
        var batch = PaddedBatch(checkpoint, Sentences, Seconds);
        Assert.IsTrue(batch.TokenTypeIds.Contains(1), "pairs carry segment ids 1");
        var zeroed = new EncodedTextBatch(batch.InputIds, new long[batch.TokenTypeIds.Length], batch.AttentionMask, batch.BatchSize, batch.SequenceLength, batch.Encodings);
        var (a, b) = (OnnxClassifierExportTests.Run(dir.File("encoder.onnx"), batch), OnnxClassifierExportTests.Run(dir.File("encoder.onnx"), zeroed));
        CollectionAssert.AreEqual(a["embedding"], b["embedding"]);
    }

    private static SequenceClassificationTransformer Classifier(MLContext ml, string family, bool pairs) =>
        ml.MulticlassClassification.Trainers.TextClassification(new TextClassificationOptions
        {
            CheckpointDirectory = EncoderFineTuningTests.Folder(Family(family), "SequenceClassification"), MaxEpochs = 0,
            Sentence1ColumnName = "Text", Sentence2ColumnName = pairs ? "Second" : null,
        }).Fit(Data(ml));

    [TestMethod]
    [DataRow("roberta", false)]
    [DataRow("roberta", true)]
    [DataRow("distilbert", false)]
    [DataRow("distilbert", true)]
    public void SequenceClassifierExport_GivesTheTransformersScoreWithin1e4_AndItsClass(string family, bool pairs)
    {
        using var dir = new TempDirectory();
        var ml = new MLContext(seed: 1);
        using var transformer = Classifier(ml, family, pairs);
        transformer.ExportOnnx(dir.File("classifier.onnx"));
        var outputs = OnnxClassifierExportTests.Run(dir.File("classifier.onnx"),
            PaddedBatch(EncoderFineTuningTests.Folder(Family(family), "SequenceClassification"), Sentences, pairs ? Seconds : null));
        var expected = transformer.Score(Sentences, pairs ? Seconds : null);
        for (int i = 0; i < Sentences.Length; i++)
        {
            var score = outputs["score"].AsSpan(3 * i, 3).ToArray();
            Assert.IsLessThan(1e-4, OnnxExportTests.MaxAbs(score, expected[i]), $"{family} row {i} score");
            Assert.AreEqual(Array.IndexOf(expected[i], expected[i].Max()), (int)outputs["predicted_class"][i], $"{family} row {i} class");
        }
    }

    [TestMethod]
    [DataRow("roberta")]
    [DataRow("distilbert")]
    public void RegressionExport_GivesTheRawScore(string family)
    {
        using var threads = new SingleThreadedTorch();
        using var dir = new TempDirectory();
        var ml = new MLContext(seed: 1);
        var checkpoint = EncoderFineTuningTests.Folder(Family(family), "Pretrained");
        using var transformer = ml.Regression.Trainers.SentenceSimilarity(new SentenceSimilarityOptions
        {
            CheckpointDirectory = checkpoint, Sentence1ColumnName = "Text", Sentence2ColumnName = "Second", MaxEpochs = 1, BatchSize = 4,
            Training = new TrainerOptions { LearningRate = 1e-3 },
        }).Fit(ml.Data.LoadFromEnumerable(Sentences.Select((s, i) => new RegressionRow { Text = s, Second = Seconds[i], Label = i / 4f })));
        transformer.ExportOnnx(dir.File("regression.onnx"));
        var outputs = OnnxClassifierExportTests.Run(dir.File("regression.onnx"), PaddedBatch(checkpoint, Sentences, Seconds));
        Assert.IsFalse(outputs.ContainsKey("predicted_class"));
        var expected = transformer.Score(Sentences, Seconds).Select(s => s[0]).ToArray();
        Assert.IsLessThan(1e-4, OnnxExportTests.MaxAbs(outputs["score"], expected));
    }

    [TestMethod]
    [DataRow("roberta")]
    [DataRow("distilbert")]
    public void TokenClassifierExport_GivesOurModelsTokenLogitsWithin1e4(string family)
    {
        using var dir = new TempDirectory();
        var ml = new MLContext(seed: 1);
        var checkpoint = Family(family).Write("TokenClassification", withPooler: false, id2label: new Dictionary<string, string> { ["0"] = "O", ["1"] = "B-PER", ["2"] = "B-LOC" });
        EncoderFineTuningTests.AddTokenizer(Family(family), checkpoint);
        using var tagger = ml.MulticlassClassification.Trainers.NamedEntityRecognition(new NamedEntityRecognitionOptions
        {
            CheckpointDirectory = checkpoint, Sentence1ColumnName = "Text", MaxEpochs = 0,
        }).Fit(Data(ml));
        tagger.ExportOnnx(dir.File("tagger.onnx"));

        var batch = PaddedBatch(checkpoint, Sentences);
        var outputs = OnnxClassifierExportTests.Run(dir.File("tagger.onnx"), batch);
        float[] expected;
        using (var scope = NewDisposeScope())
        using (var model = EncoderCheckpoint.LoadForTokenClassification(checkpoint, 3, requireHead: true))
        {
            model.eval();
            var shape = new long[] { batch.BatchSize, batch.SequenceLength };
            expected = model.forward(tensor(batch.InputIds, shape), tensor(batch.TokenTypeIds, shape), tensor(batch.AttentionMask, shape))
                .contiguous().data<float>().ToArray();                                                           // (B, T, 3)
        }
        for (int i = 0; i < batch.BatchSize * batch.SequenceLength; i++)
        {
            if (batch.AttentionMask[i] == 0) continue;
            var row = expected.AsSpan(3 * i, 3).ToArray();
            Assert.IsLessThan(1e-4, OnnxExportTests.MaxAbs(outputs["logits"].AsSpan(3 * i, 3).ToArray(), row), $"{family} token {i}");
            Assert.AreEqual(Array.IndexOf(row, row.Max()), (int)outputs["predicted_class"][i], $"{family} token {i} class");
        }
    }

    [TestMethod]
    [DataRow("roberta")]
    [DataRow("distilbert")]
    public void Int8Export_IsSmallerAndStaysClose_EncoderAndClassifier(string family)
    {
        using var dir = new TempDirectory();
        var checkpoint = EncoderFineTuningTests.Folder(Family(family), "Pretrained");
        using var embedding = Embedding(checkpoint, EmbeddingPooling.Mean);
        string fp32 = dir.File("fp32.onnx"), int8 = dir.File("int8.onnx");
        embedding.ExportOnnx(fp32);
        embedding.ExportOnnx(int8, quantizeInt8: true);
        var batch = PaddedBatch(checkpoint, Sentences);
        var (e32, e8) = (OnnxClassifierExportTests.Run(fp32, batch), OnnxClassifierExportTests.Run(int8, batch));
        double hiddenError = OnnxExportTests.RelativeError(e8["last_hidden_state"], e32["last_hidden_state"]);
        double embeddingError = OnnxExportTests.RelativeError(e8["embedding"], e32["embedding"]);

        var ml = new MLContext(seed: 1);
        using var classifier = Classifier(ml, family, pairs: false);
        classifier.ExportOnnx(fp32);
        classifier.ExportOnnx(int8, quantizeInt8: true);
        var (p32, p8) = (OnnxClassifierExportTests.Run(fp32, batch), OnnxClassifierExportTests.Run(int8, batch));
        double scoreError = OnnxExportTests.MaxAbs(p8["score"], p32["score"]);
        Console.WriteLine($"{family} int8: hidden rel err {hiddenError:E2}, embedding rel err {embeddingError:E2}, max probability error {scoreError:E2}");
        Assert.IsLessThan(new FileInfo(fp32).Length, new FileInfo(int8).Length);
        Assert.IsLessThan(5e-2, hiddenError);
        Assert.IsLessThan(5e-2, embeddingError);
        Assert.IsLessThan(5e-2, scoreError);
    }

    [TestMethod]
    public void TokenizeForTransformer_OnARobertaFolder_GivesTheBpeTokenizersPaddedEncoding_SinglesAndPairs()
    {
        const int maxLength = 24;   // short enough that the longest sentences and pairs are truncated too
        var checkpoint = EncoderFineTuningTests.Folder(roberta, "SequenceClassification");
        var ml = new MLContext(seed: 1);
        var tokenizer = RobertaBpeTokenizer.FromDirectory(checkpoint);
        foreach (bool pairs in new[] { false, true })
        {
            var tokenize = ml.Transforms.Text.TokenizeForTransformer(checkpoint, "Text", pairs ? "Second" : null, maxLength).Fit(Data(ml));
            Assert.IsInstanceOfType<RobertaBpeTokenizer>(tokenize.Tokenizer);
            var scored = tokenize.Transform(Data(ml));
            long[][] Column(string name) => scored.GetColumn<VBuffer<long>>(name).Select(v => v.DenseValues().ToArray()).ToArray();
            var (ids, mask, types) = (Column("input_ids"), Column("attention_mask"), Column("token_type_ids"));
            for (int i = 0; i < Sentences.Length; i++)
            {
                var e = tokenizer.Encode(Sentences[i], pairs ? Seconds[i] : null, maxLength, padToMaxLength: true);
                Assert.AreEqual(tokenizer.BosTokenId, e.InputIds[0]);
                CollectionAssert.AreEqual(e.InputIds.Select(x => (long)x).ToArray(), ids[i], $"pairs {pairs} row {i} ids");
                CollectionAssert.AreEqual(e.AttentionMask.Select(x => (long)x).ToArray(), mask[i], $"pairs {pairs} row {i} mask");
                CollectionAssert.AreEqual(new long[maxLength], types[i], $"pairs {pairs} row {i} type ids are all 0");
            }
            Assert.IsTrue(ids.Any(r => r[^1] == tokenizer.PadTokenId) && ids.Any(r => r[^1] == tokenizer.EosTokenId), "some rows padded, some truncated");
        }
    }

    [TestMethod]
    public void RobertaServingPipeline_TokenizeApplyOnnxModel_GivesTheClassifiersScores_AfterSaveLoad_WithoutLibtorch()
    {
        const int maxLength = 32;
        using var dir = new TempDirectory();
        var ml = new MLContext(seed: 1);
        using var transformer = Classifier(ml, "roberta", pairs: false);
        transformer.ExportOnnx(dir.File("classifier.onnx"));
        var checkpoint = EncoderFineTuningTests.Folder(roberta, "SequenceClassification");
        Assert.IsLessThan(maxLength, PaddedBatch(checkpoint, Sentences).SequenceLength, "every sentence fits the serving length");

        var data = Data(ml);
        var serving = ServingPipelineTests.ServingPipeline(ml, data, dir.File("classifier.onnx"), checkpoint, maxLength, ["score", "predicted_class"]);
        ml.Model.Save(serving, data.Schema, dir.File("serving.zip"));
        var loaded = ml.Model.Load(dir.File("serving.zip"), out _);
        var scored = loaded.Transform(data);
        var scores = scored.GetColumn<VBuffer<float>>("score").Select(v => v.DenseValues().ToArray()).ToArray();
        var classes = scored.GetColumn<VBuffer<long>>("predicted_class").Select(v => v.DenseValues().Single()).ToArray();
        var expected = transformer.Score(Sentences);
        for (int i = 0; i < Sentences.Length; i++)
        {
            Assert.IsLessThan(1e-4, OnnxExportTests.MaxAbs(scores[i], expected[i]), $"row {i} score after Model.Load");
            Assert.AreEqual(Array.IndexOf(expected[i], expected[i].Max()), (int)classes[i], $"row {i} class");
        }

        var lines = ServingPipelineTests.RunServingProcess([dir.File("serving.zip"), "score", .. Sentences]);
        Assert.AreEqual("libtorch shipped=False loaded=False", lines[0], "the serving process must run without libtorch");
        for (int i = 0; i < Sentences.Length; i++)
        {
            var values = lines[i + 1].Split(' ').Select(v => float.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            Assert.IsLessThan(1e-4, OnnxExportTests.MaxAbs(values, expected[i]), $"row {i}, fresh process");
        }
    }
}
