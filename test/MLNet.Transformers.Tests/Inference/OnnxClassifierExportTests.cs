using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MLNet.Transformers.Estimators;
using MLNet.Transformers.Models;
using MLNet.Transformers.Tests.Checkpoints;
using MLNet.Transformers.Tests.FineTuning;
using MLNet.Transformers.Tokenization;
using MLNet.Transformers.Training;
using MLNet.Transformers.Transforms;

namespace MLNet.Transformers.Tests.Inference;

/// <summary>
/// <see cref="SequenceClassificationTransformer.ExportOnnx"/>: the exported classifier runs in ONNX Runtime and gives the
/// transformer's Score to 1e-4 (fp32), int8 stays close, and it serves as TokenizeForTransformer → ApplyOnnxModel.
/// </summary>
[TestClass]
public sealed class OnnxClassifierExportTests
{
    private static readonly string[] Sentences = ScoringPrecisionTests.Sentences;

    private sealed class Row { public string Text { get; set; } = ""; public string Sentiment { get; set; } = ""; }

    /// <summary>Runs an exported classifier on a tokenized batch: every output, flattened (predicted_class as float).</summary>
    internal static Dictionary<string, float[]> Run(string path, EncodedTextBatch batch)
    {
        using var session = new InferenceSession(path);
        int[] shape = [batch.BatchSize, batch.SequenceLength];
        var inputs = new[]
        {
            NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(batch.InputIds, shape)),
            NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(batch.AttentionMask, shape)),
            NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(batch.TokenTypeIds, shape)),
        };
        using var results = session.Run(inputs);
        return results.ToDictionary(r => r.Name, r => r.Name == "predicted_class"
            ? r.AsTensor<long>().Select(v => (float)v).ToArray() : r.AsTensor<float>().ToArray());
    }

    private static EncodedTextBatch Encode(string checkpoint) => BertWordPieceTokenizer.FromDirectory(checkpoint).EncodeBatch(Sentences, null, 128);

    private static int ArgMax(float[] v) => Array.IndexOf(v, v.Max());

    private static SequenceClassificationTransformer Classifier(MLContext ml, string checkpoint, ClassificationHead head = ClassificationHead.Pooler, int maxEpochs = 0)
    {
        var rows = Sentences.Select((s, i) => new Row { Text = s, Sentiment = (i % 3).ToString() }).ToArray();
        var data = ml.Transforms.Conversion.MapValueToKey("Label", "Sentiment").Fit(ml.Data.LoadFromEnumerable(rows)).Transform(ml.Data.LoadFromEnumerable(rows));
        return ml.MulticlassClassification.Trainers.TextClassification(new TextClassificationOptions
        {
            CheckpointDirectory = checkpoint, Sentence1ColumnName = "Text", MaxEpochs = maxEpochs, Head = head, BatchSize = 4,
            Training = new TrainerOptions { LearningRate = 1e-3 },
        }).Fit(data);
    }

    [TestMethod]
    [DataRow(ClassificationHead.Pooler)]
    [DataRow(ClassificationHead.Cls)]
    public void Export_RunsInOnnxRuntimeAndMatchesTheTransformersScoreWithin1e4(ClassificationHead head)
    {
        using var threads = new SingleThreadedTorch();
        using var fixture = new HeadFixture(numLabels: 3, names: ["0", "1", "2"]);
        using var dir = new TempDirectory();
        var ml = new MLContext(seed: 1);
        // The Cls head is new (trained one epoch here); the Pooler head is the fixture's, scored as it is.
        using var transformer = Classifier(ml, fixture.Path, head, maxEpochs: head == ClassificationHead.Cls ? 1 : 0);
        transformer.ExportOnnx(dir.File("classifier.onnx"));

        var outputs = Run(dir.File("classifier.onnx"), Encode(fixture.Path));
        var expected = transformer.Score(Sentences);
        for (int i = 0; i < Sentences.Length; i++)
        {
            var score = outputs["score"].AsSpan(3 * i, 3).ToArray();
            Assert.IsLessThan(1e-4, OnnxExportTests.MaxAbs(score, expected[i]), $"row {i} score");
            Assert.AreEqual(ArgMax(expected[i]), (int)outputs["predicted_class"][i], $"row {i} predicted class");
        }
    }

    [TestMethod]
    public void Export_OfARegressionHead_GivesTheRawScore()
    {
        using var fixture = new HeadFixture(numLabels: 1, regression: true);
        using var dir = new TempDirectory();
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Sentences.Select(s => new Row { Text = s }));
        using var transformer = ml.Regression.Trainers.SentenceSimilarity(new SentenceSimilarityOptions
        {
            CheckpointDirectory = fixture.Path, Sentence1ColumnName = "Text", Sentence2ColumnName = null, MaxEpochs = 0,
        }).Fit(data);
        transformer.ExportOnnx(dir.File("regression.onnx"));
        var outputs = Run(dir.File("regression.onnx"), Encode(fixture.Path));
        Assert.IsFalse(outputs.ContainsKey("predicted_class"));
        var expected = transformer.Score(Sentences).Select(s => s[0]).ToArray();
        Assert.IsLessThan(1e-4, OnnxExportTests.MaxAbs(outputs["score"], expected));
    }

    [TestMethod]
    public void Int8Export_IsSmallerAndItsProbabilitiesStayClose()
    {
        using var fixture = new HeadFixture(numLabels: 3, names: ["0", "1", "2"]);
        using var dir = new TempDirectory();
        var ml = new MLContext(seed: 1);
        using var transformer = Classifier(ml, fixture.Path);
        string fp32 = dir.File("fp32.onnx"), int8 = dir.File("int8.onnx");
        transformer.ExportOnnx(fp32);
        transformer.ExportOnnx(int8, quantizeInt8: true);
        var batch = Encode(fixture.Path);
        var (p32, p8) = (Run(fp32, batch), Run(int8, batch));
        double maxError = OnnxExportTests.MaxAbs(p8["score"], p32["score"]);
        int agree = Enumerable.Range(0, Sentences.Length).Count(i => p8["predicted_class"][i] == p32["predicted_class"][i]);
        Console.WriteLine($"int8 classifier: size {new FileInfo(int8).Length / (double)new FileInfo(fp32).Length:P0} of fp32, max probability error {maxError:E2}, {agree}/{Sentences.Length} same class");
        Assert.IsLessThan(new FileInfo(fp32).Length, new FileInfo(int8).Length);
        Assert.IsLessThan(5e-2, maxError);
        Assert.IsGreaterThanOrEqualTo(Sentences.Length - 1, agree);
    }

    [TestMethod]
    public void TokenClassifierExport_MatchesHuggingFaceLogitsWithin1e4_AndTheTaggersKeysAtFirstPieces()
    {
        using var head = new HeadFixture(numLabels: 5, names: ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"], dropPooler: true);
        using var dir = new TempDirectory();
        var ml = new MLContext(seed: 1);
        string[] sentences = ["Unbelievably, Jürgen visited U.S. embassies yesterday", "short one", "tokenization splits words"];
        var data = ml.Data.LoadFromEnumerable(sentences.Select(s => new Row { Text = s }));
        using var tagger = ml.MulticlassClassification.Trainers.NamedEntityRecognition(new NamedEntityRecognitionOptions
        {
            CheckpointDirectory = head.Path, Sentence1ColumnName = "Text", MaxEpochs = 0,
        }).Fit(data);
        tagger.ExportOnnx(dir.File("tagger.onnx"));

        // Logits on the parity fixture's batch equal HF's classifier(last_hidden_state) at every real token.
        var expected = Models.BertParityTests.Expected.Load();
        long[] Longs(TorchSharp.torch.Tensor t) => t.to(TorchSharp.torch.ScalarType.Int64).contiguous().data<long>().ToArray();
        var (b, t) = ((int)expected.InputIds.shape[0], (int)expected.InputIds.shape[1]);
        var mask = Longs(expected.AttentionMask);
        var outputs = Run(dir.File("tagger.onnx"), new EncodedTextBatch(Longs(expected.InputIds), Longs(expected.TokenTypeIds), mask, b, t, []));
        var reference = head.TokenLogits(expected).to(TorchSharp.torch.ScalarType.Float32).contiguous().data<float>().ToArray();
        for (int i = 0; i < b * t; i++)
            if (mask[i] == 1)
                for (int l = 0; l < 5; l++) Assert.AreEqual(reference[i * 5 + l], outputs["logits"][i * 5 + l], 1e-4, $"token {i} label {l}");

        // predicted_class at each word's first piece is the tagger's key − 1.
        var tokenizer = BertWordPieceTokenizer.FromDirectory(head.Path);
        var keys = tagger.Predict(sentences);
        for (int s = 0; s < sentences.Length; s++)
        {
            var pieces = sentences[s].Split(' ').Select(w => tokenizer.Tokenize(w)).ToArray();
            var ids = new[] { tokenizer.ClsTokenId }.Concat(pieces.SelectMany(p => p)).Append(tokenizer.SepTokenId).Select(x => (long)x).ToArray();
            var classes = Run(dir.File("tagger.onnx"), new EncodedTextBatch(ids, new long[ids.Length], ids.Select(_ => 1L).ToArray(), 1, ids.Length, []))["predicted_class"];
            int position = 1;
            for (int w = 0; w < pieces.Length; w++) { Assert.AreEqual(keys[s][w], (uint)classes[position] + 1, $"sentence {s} word {w}"); position += pieces[w].Length; }
        }
    }

    [TestMethod]
    public void ServingPipeline_TokenizeApplyOnnxModel_GivesTheClassifiersScoresAndClass_AfterSaveLoad_WithoutLibtorch()
    {
        const int maxLength = 32;
        using var fixture = new HeadFixture(numLabels: 3, names: ["0", "1", "2"]);
        using var dir = new TempDirectory();
        var ml = new MLContext(seed: 1);
        using var transformer = Classifier(ml, fixture.Path);
        transformer.ExportOnnx(dir.File("classifier.onnx"));

        var data = ml.Data.LoadFromEnumerable(Sentences.Select(s => new Row { Text = s }));
        var serving = ServingPipelineTests.ServingPipeline(ml, data, dir.File("classifier.onnx"), fixture.Path, maxLength, ["score", "predicted_class"]);
        ml.Model.Save(serving, data.Schema, dir.File("serving.zip"));
        var scored = ml.Model.Load(dir.File("serving.zip"), out _).Transform(data);
        var scores = scored.GetColumn<VBuffer<float>>("score").Select(v => v.DenseValues().ToArray()).ToArray();
        var classes = scored.GetColumn<VBuffer<long>>("predicted_class").Select(v => v.DenseValues().Single()).ToArray();
        Assert.IsTrue(Encode(fixture.Path).Encodings.All(e => e.Length <= maxLength), "every sentence fits the serving length");
        var expected = transformer.Score(Sentences);
        for (int i = 0; i < Sentences.Length; i++)
        {
            Assert.IsLessThan(1e-4, OnnxExportTests.MaxAbs(scores[i], expected[i]), $"row {i} score");
            Assert.AreEqual(ArgMax(expected[i]), (int)classes[i], $"row {i} class");
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
