using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transformers.Estimators;
using MLNet.Transformers.Tests.Checkpoints;
using MLNet.Transformers.Tests.FineTuning;
using MLNet.Transformers.Tests.Models;
using MLNet.Transformers.Transforms;

namespace MLNet.Transformers.Tests.Inference;

/// <summary>
/// <see cref="Precision.Int8"/>: the embedding and the sequence classifier score through their own int8 ONNX graph in ONNX
/// Runtime — exactly what the exported int8 file gives, within the export tests' bounds of fp32 — keep it through save/load,
/// and the transformers without that engine refuse it before training.
/// </summary>
[TestClass]
public sealed class Int8PrecisionTests
{
    private sealed class Row { public string Text { get; set; } = ""; }

    private static readonly string[] Sentences = ScoringPrecisionTests.Sentences;

    [TestMethod]
    public void Int8Embedding_IsTheExportedInt8Graph_CloseToFp32_AndSurvivesSaveLoad()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Sentences.Select(t => new Row { Text = t }));
        TransformerEmbeddingTransformer Fit(Precision p) => ml.Transforms.Text.TransformerEmbedding(BertParityTests.FixtureDirectory,
            new TransformerEmbeddingSettings("E", "Text", null, EmbeddingPooling.Mean, 128, 4, Precision: p)).Fit(data);
        using var dir = new TempDirectory();
        float[] fp32, int8;
        using (var t = Fit(Precision.Float32)) fp32 = t.Embed(Sentences).SelectMany(v => v).ToArray();
        using (var t = Fit(Precision.Int8))
        {
            int8 = t.Embed(Sentences).SelectMany(v => v).ToArray();
            Assert.AreEqual(Precision.Int8, t.Settings.Precision);
            t.ExportOnnx(dir.File("int8.onnx"), quantizeInt8: true);
            var (_, exported) = OnnxExportTests.RunOnnx(dir.File("int8.onnx"), t.Tokenizer.EncodeBatch(Sentences, null, 128));
            Assert.AreEqual(0.0, OnnxExportTests.MaxAbs(exported, int8), 1e-6, "the transformer runs the int8 graph it exports");
            var viaDataView = t.Transform(data).GetColumn<VBuffer<float>>("E").SelectMany(v => v.DenseValues()).ToArray();
            // Dynamic quantization scales activations per tensor, i.e. per batch: a row's vector depends a little on the rows it is
            // batched with, so IDataView scoring (batches of 4, bucketed) is close to, not equal to, one batch of 8.
            double batchEffect = OnnxExportTests.RelativeError(viaDataView, int8);
            Console.WriteLine($"int8 embedding: batches of 4 vs one batch of 8, relative difference {batchEffect:E2}");
            Assert.IsLessThan(5e-2, batchEffect);
            ml.Model.Save(t, data.Schema, dir.File("int8.zip"));
        }
        double error = OnnxExportTests.RelativeError(int8, fp32);
        Console.WriteLine($"int8 embedding vs fp32: relative error {error:E2}");
        Assert.IsGreaterThan(0.0, error, "int8 must change the numbers, or the engine did not run");
        Assert.IsLessThan(5e-2, error);
        using var loaded = (TransformerEmbeddingTransformer)ml.Model.Load(dir.File("int8.zip"), out _);
        Assert.AreEqual(Precision.Int8, loaded.Settings.Precision);
        CollectionAssert.AreEqual(int8, loaded.Embed(Sentences).SelectMany(v => v).ToArray());
    }

    [TestMethod]
    public void Int8Classifier_ProbabilitiesStayClose_PredictionsAgree_AndSurviveSaveLoad()
    {
        using var head = new HeadFixture(numLabels: 3, names: ["neg", "neu", "pos"]);
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Sentences.Select(t => new Row { Text = t }));
        SequenceClassificationTransformer Fit(Precision p) => ml.MulticlassClassification.Trainers.TextClassification(new TextClassificationOptions
        {
            CheckpointDirectory = head.Path, Sentence1ColumnName = "Text", MaxEpochs = 0, BatchSize = 4, Precision = p,
        }).Fit(data);
        using var f32 = Fit(Precision.Float32);
        using var q8 = Fit(Precision.Int8);
        var expected = f32.Score(Sentences);
        var actual = q8.Score(Sentences);
        double maxError = expected.Zip(actual).Max(p => p.First.Zip(p.Second).Max(q => Math.Abs(q.First - q.Second)));
        int agree = expected.Zip(actual).Count(p => ArgMax(p.First) == ArgMax(p.Second));
        Console.WriteLine($"int8 classifier vs fp32: max probability error {maxError:E2}, {agree}/{Sentences.Length} same class");
        Assert.IsGreaterThan(0.0, maxError);
        Assert.IsLessThan(5e-2, maxError);
        Assert.IsGreaterThanOrEqualTo(Sentences.Length - 1, agree);

        using var dir = new TempDirectory();
        ml.Model.Save(q8, data.Schema, dir.File("int8.zip"));
        using var loaded = (SequenceClassificationTransformer)ml.Model.Load(dir.File("int8.zip"), out _);
        Assert.AreEqual(Precision.Int8, loaded.Settings.Precision);
        var again = loaded.Score(Sentences);
        for (int i = 0; i < Sentences.Length; i++) CollectionAssert.AreEqual(actual[i], again[i], $"row {i}");
    }

    [TestMethod]
    public void Int8_IsRefusedBeforeTraining_WhereThereIsNoOnnxEngineOrNoCpu()
    {
        using var head = new HeadFixture(numLabels: 3, names: ["O", "B-PER", "I-PER"], dropPooler: true);
        var ml = new MLContext(seed: 1);
        var ner = Assert.ThrowsExactly<ArgumentException>(() => ml.MulticlassClassification.Trainers.NamedEntityRecognition(
            new NamedEntityRecognitionOptions { CheckpointDirectory = head.Path, Sentence1ColumnName = "Text", Precision = Precision.Int8 }));
        StringAssert.Contains(ner.Message, "Precision.Int8");
        StringAssert.Contains(ner.Message, "TextClassification");
        var generation = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new TextGenerationOptions { Precision = Precision.Int8 }.Validate());
        StringAssert.Contains(generation.Message, "Precision.Int8");
        var gpu = Assert.ThrowsExactly<ArgumentException>(() => ml.MulticlassClassification.Trainers.TextClassification(new TextClassificationOptions
        {
            CheckpointDirectory = head.Path, Sentence1ColumnName = "Text", Precision = Precision.Int8, Device = "cuda",
        }));
        StringAssert.Contains(gpu.Message, "'cuda'");
    }

    private static int ArgMax(float[] values) => Array.IndexOf(values, values.Max());
}
