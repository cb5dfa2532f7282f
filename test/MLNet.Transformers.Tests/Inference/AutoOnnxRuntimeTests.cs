using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transformers.Estimators;
using MLNet.Transformers.Inference;
using MLNet.Transformers.Tests.Checkpoints;
using MLNet.Transformers.Tests.Encoders;
using MLNet.Transformers.Tests.FineTuning;
using MLNet.Transformers.Tests.Models;
using MLNet.Transformers.Transforms;

namespace MLNet.Transformers.Tests.Inference;

/// <summary>
/// <see cref="Precision.Auto"/> on a CPU without fast bf16 (a simulated AVX2 host): the embedding and the cross-encoder
/// sequence classifiers score fp32 through ONNX Runtime on their own exported graph (issue 21: ONNX Runtime's fp32 beat
/// libtorch's there) — within 1e-5 of libtorch <see cref="Precision.Float32"/> for every family, pooling, pairs, regression,
/// through <c>Embed</c>/<c>Score</c> and bucketed IDataView scoring — save Auto and pick the engine again on the host that
/// loads them; <c>MLNET_TRANSFORMERS_PRECISION=fp32</c> keeps libtorch, <c>onnx-fp32</c> forces ONNX Runtime on any host.
/// </summary>
[TestClass]
public sealed class AutoOnnxRuntimeTests
{
    private const double Fp32Bound = 1e-5;
    private static readonly string[] Sentences = ScoringPrecisionTests.Sentences;
    // Pair texts, as OnnxEncoderFamilyExportTests uses (no pair truncated at the family fixtures' 38 tokens).
    private static readonly string[] Seconds =
    [
        "a sometimes tedious film .", "it 's slow -- very , very slow .", "nolan is poised", "dull", "unflinchingly bleak and desperate",
        "a charming journey", "the film is a refreshingly serious look at young women .", "sound are all astounding",
    ];
    private static EncoderFixture roberta = null!, distilbert = null!;

    private class Row
    {
        public string Text { get; set; } = "";
        public string Second { get; set; } = "";
    }

    private sealed class RegressionRow : Row { public float Label { get; set; } }

    [ClassInitialize]
    public static void Create(TestContext _)
    {
        roberta = EncoderFineTuningTests.WithTokenizerVocabulary("roberta");
        distilbert = EncoderFineTuningTests.WithTokenizerVocabulary("distilbert");
    }

    [ClassCleanup]
    public static void Remove() { roberta.Dispose(); distilbert.Dispose(); }

    private static IDataView Data(MLContext ml) => ml.Data.LoadFromEnumerable(Sentences.Select((s, i) => new Row { Text = s, Second = Seconds[i] }));

    private static string Checkpoint(string family, string kind) => family switch
    {
        "bert" => BertParityTests.FixtureDirectory,
        "roberta" => EncoderFineTuningTests.Folder(roberta, kind),
        _ => EncoderFineTuningTests.Folder(distilbert, kind),
    };

    [TestMethod]
    [DataRow("bert", EmbeddingPooling.Mean, false, true)]
    [DataRow("bert", EmbeddingPooling.Pooler, true, false)]
    [DataRow("roberta", EmbeddingPooling.Max, true, false)]
    [DataRow("distilbert", EmbeddingPooling.Cls, true, true)]
    public void AutoEmbedding_OnAnAvx2Host_RunsOnnxRuntimeFp32_Within1e5OfLibtorch_AndSurvivesSaveLoad(string family, EmbeddingPooling pooling, bool pairs, bool normalize)
    {
        var ml = new MLContext(seed: 1);
        var data = Data(ml);
        string? second = pairs ? "Second" : null;
        TransformerEmbeddingTransformer Fit(Precision precision) => ml.Transforms.Text.TransformerEmbedding(Checkpoint(family, "Pretrained"),
            new TransformerEmbeddingSettings("E", "Text", second, pooling, 128, 3, Normalize: normalize, Precision: precision)).Fit(data);
        float[][] Column(ITransformer t, IDataView d) => t.Transform(d).GetColumn<VBuffer<float>>("E").Select(v => v.DenseValues().ToArray()).ToArray();
        IReadOnlyList<string>? pairTexts = pairs ? Seconds : null;

        float[][] expected, expectedColumn;
        using (var fp32 = Fit(Precision.Float32))
        {
            Assert.IsNull(fp32.OnnxEngine, "explicit Float32 is libtorch");
            (expected, expectedColumn) = (fp32.Embed(Sentences, pairTexts), Column(fp32, data));
        }
        using var dir = new TempDirectory();
        float[][] actual;
        using (HostPrecision.Simulate(HostCpuFixtures.Avx2Host))
        {
            using (var auto = Fit(Precision.Auto))
            {
                Assert.IsNotNull(auto.OnnxEngine, "Auto on an AVX2 host runs ONNX Runtime");
                Assert.IsFalse(auto.OnnxEngine.IsInt8);
                actual = auto.Embed(Sentences, pairTexts);
                AssertClose(expected, actual, $"{family} {pooling} Embed");
                // Batches of 3, bucketed by length: the engine sees the same padded batches as libtorch does.
                AssertClose(expectedColumn, Column(auto, data), $"{family} {pooling} IDataView");
                if (normalize) Assert.AreEqual(1.0, Math.Sqrt(actual[0].Sum(x => (double)x * x)), 1e-5, "normalized in the graph");
                ml.Model.Save(auto, data.Schema, dir.File("auto.zip"));
            }
            using var loaded = (TransformerEmbeddingTransformer)ml.Model.Load(dir.File("auto.zip"), out _);
            Assert.AreEqual(Precision.Auto, loaded.Settings.Precision);
            Assert.IsNotNull(loaded.OnnxEngine);
            AssertClose(actual, loaded.Embed(Sentences, pairTexts), "reloaded on the AVX2 host", bound: 1e-6);
        }
        using (HostPrecision.Simulate(HostCpuFixtures.Bf16Host))
        using (var onBf16Host = (TransformerEmbeddingTransformer)ml.Model.Load(dir.File("auto.zip"), out _))
            Assert.IsNull(onBf16Host.OnnxEngine, "loaded where Auto is bf16: libtorch");
    }

    [TestMethod]
    [DataRow("bert", false)]
    [DataRow("bert", true)]
    [DataRow("distilbert", true)]
    public void AutoClassifier_OnAnAvx2Host_RunsOnnxRuntimeFp32_Within1e5OfLibtorch_AndSurvivesSaveLoad(string family, bool pairs)
    {
        using var head = family == "bert" ? new HeadFixture(numLabels: 3, names: ["neg", "neu", "pos"]) : null;
        var ml = new MLContext(seed: 1);
        var data = Data(ml);
        SequenceClassificationTransformer Fit(Precision p) => ml.MulticlassClassification.Trainers.TextClassification(new TextClassificationOptions
        {
            CheckpointDirectory = head?.Path ?? Checkpoint(family, "SequenceClassification"), Sentence1ColumnName = "Text",
            Sentence2ColumnName = pairs ? "Second" : null, MaxEpochs = 0, BatchSize = 3, Precision = p,
        }).Fit(data);
        IReadOnlyList<string?>? pairTexts = pairs ? Seconds : null;
        float[][] Column(ITransformer t) => t.Transform(data).GetColumn<VBuffer<float>>("Score").Select(v => v.DenseValues().ToArray()).ToArray();

        float[][] expected, expectedColumn;
        using (var fp32 = Fit(Precision.Float32))
        {
            Assert.IsNull(fp32.OnnxEngine);
            (expected, expectedColumn) = (fp32.Score(Sentences, pairTexts), Column(fp32));
        }
        using var dir = new TempDirectory();
        using (HostPrecision.Simulate(HostCpuFixtures.Avx2Host))
        {
            float[][] actual;
            using (var auto = Fit(Precision.Auto))
            {
                Assert.IsNotNull(auto.OnnxEngine);
                Assert.IsFalse(auto.OnnxEngine.IsInt8);
                actual = auto.Score(Sentences, pairTexts);
                AssertClose(expected, actual, $"{family} probabilities");
                AssertClose(expectedColumn, Column(auto), $"{family} IDataView probabilities");
                ml.Model.Save(auto, data.Schema, dir.File("auto.zip"));
            }
            using var loaded = (SequenceClassificationTransformer)ml.Model.Load(dir.File("auto.zip"), out _);
            Assert.AreEqual(Precision.Auto, loaded.Settings.Precision);
            Assert.IsNotNull(loaded.OnnxEngine);
            AssertClose(actual, loaded.Score(Sentences, pairTexts), "reloaded on the AVX2 host", bound: 1e-6);
        }
    }

    [TestMethod]
    public void AutoCrossEncoderSimilarity_OnAnAvx2Host_GivesTheRawRegressionScoreThroughOnnxRuntime()
    {
        using var head = new HeadFixture(numLabels: 1, regression: true);
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Sentences.Select((s, i) => new RegressionRow { Text = s, Second = Seconds[i], Label = i / 4f }));
        SequenceClassificationTransformer Fit(Precision p) => ml.Regression.Trainers.SentenceSimilarity(new SentenceSimilarityOptions
        {
            CheckpointDirectory = head.Path, Sentence1ColumnName = "Text", Sentence2ColumnName = "Second", MaxEpochs = 0, BatchSize = 3, Precision = p,
        }).Fit(data);
        float[] expected;
        using (var fp32 = Fit(Precision.Float32)) expected = fp32.Transform(data).GetColumn<float>("Score").ToArray();
        Assert.IsGreaterThan(1, expected.Distinct().Count(), "raw outputs (a softmax over one output would be 1 everywhere)");
        using (HostPrecision.Simulate(HostCpuFixtures.Avx2Host))
        using (var auto = Fit(Precision.Auto))
        {
            Assert.IsNotNull(auto.OnnxEngine);
            var actual = auto.Transform(data).GetColumn<float>("Score").ToArray();
            Assert.IsLessThan(Fp32Bound, actual.Zip(expected).Max(p => Math.Abs(p.First - p.Second)));
        }
    }

    [TestMethod]
    public void WhichEngineRuns_FollowsThePrecision_TheHost_AndTheEnvironmentVariable()
    {
        var ml = new MLContext(seed: 1);
        var data = Data(ml);
        OnnxRuntimeEngine? EngineOf(Precision precision)
        {
            using var t = ml.Transforms.Text.TransformerEmbedding(BertParityTests.FixtureDirectory,
                new TransformerEmbeddingSettings("E", "Text", null, EmbeddingPooling.Mean, 64, 4, Precision: precision)).Fit(data);
            return t.OnnxEngine;   // only read IsInt8 afterwards (the session is disposed with the transformer)
        }
        Assert.IsNull(EngineOf(Precision.Auto), "the test run pins MLNET_TRANSFORMERS_PRECISION=fp32: libtorch fp32");
        using (HostPrecision.Simulate(HostCpuFixtures.Avx2Host))
        {
            Assert.IsFalse(EngineOf(Precision.Auto)!.IsInt8, "Auto: fp32 graph");
            Assert.IsTrue(EngineOf(Precision.Int8)!.IsInt8, "Int8 still runs the int8 graph");
            Assert.IsNull(EngineOf(Precision.Float32), "explicit Float32 is libtorch");
            StringAssert.Contains(HostPrecision.Describe(), "Float32 through ONNX Runtime");
            StringAssert.Contains(HostPrecision.Describe(), "no AVX512-BF16");
        }
        using (HostPrecision.Simulate(HostCpuFixtures.Avx2Host, "fp32"))
            Assert.IsNull(EngineOf(Precision.Auto), "fp32 in the variable means libtorch fp32");
        using (HostPrecision.Simulate(HostCpuFixtures.Bf16Host))
        {
            Assert.IsNull(EngineOf(Precision.Auto), "bf16 in libtorch");
            StringAssert.Contains(HostPrecision.Describe(), "Auto = libtorch BFloat16");
        }
        using (HostPrecision.Simulate(HostCpuFixtures.Bf16Host, "onnx-fp32"))
        {
            Assert.IsFalse(EngineOf(Precision.Auto)!.IsInt8, "onnx-fp32 forces the ONNX Runtime fp32 engine on any host");
            StringAssert.Contains(HostPrecision.Describe(), "onnx-fp32");
        }
    }

    [TestMethod]
    public void AutoBiEncoder_OnAnAvx2Host_RunsOnnxRuntimeFp32_PerSide_Within1e5OfLibtorch_AndInt8RunsTheInt8Graph()
    {
        using var folder = EncoderEmbeddingTests.SentenceTransformersFolder("mean", normalize: false);
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Sentences.Select((s, i) => new RegressionRow { Text = s, Second = Seconds[i], Label = i / 4f }));
        SequenceClassificationTransformer Fit(Precision p) => ml.Regression.Trainers.SentenceSimilarity(new SentenceSimilarityOptions
        {
            CheckpointDirectory = folder.Path, Architecture = SentenceSimilarityArchitecture.BiEncoder, Sentence1ColumnName = "Text",
            Sentence2ColumnName = "Second", MaxEpochs = 0, BatchSize = 3, Precision = p, LabelScale = 5,
        }).Fit(data);
        float[] Column(ITransformer t) => t.Transform(data).GetColumn<float>("Score").ToArray();
        float[][] expected;
        float[] expectedColumn;
        using (var fp32 = Fit(Precision.Float32))
        {
            Assert.IsNull(fp32.OnnxEngine);
            (expected, expectedColumn) = (fp32.Score(Sentences, Seconds), Column(fp32));
        }
        Assert.IsGreaterThan(1, expected.Select(r => r[0]).Distinct().Count(), "distinct cosines");
        using var dir = new TempDirectory();
        using (HostPrecision.Simulate(HostCpuFixtures.Avx2Host))
        {
            float[][] actual;
            using (var auto = Fit(Precision.Auto))
            {
                Assert.IsNotNull(auto.OnnxEngine, "Auto on an AVX2 host runs the encoder's graph in ONNX Runtime, one call per side");
                Assert.IsFalse(auto.OnnxEngine.IsInt8);
                actual = auto.Score(Sentences, Seconds);
                AssertClose(expected, actual, "bi-encoder 5·cosine");
                AssertClose([expectedColumn], [Column(auto)], "bi-encoder IDataView (bucketed pairs)");
                ml.Model.Save(auto, data.Schema, dir.File("auto.zip"));
            }
            using (var loaded = (SequenceClassificationTransformer)ml.Model.Load(dir.File("auto.zip"), out _))
            {
                Assert.IsNotNull(loaded.OnnxEngine);
                AssertClose(actual, loaded.Score(Sentences, Seconds), "reloaded on the AVX2 host", bound: 1e-6);
            }
            using var int8 = Fit(Precision.Int8);
            Assert.IsTrue(int8.OnnxEngine!.IsInt8, "Int8 is offered for the bi-encoder too");
            // int8 weights and activations: ~1e-2 relative on the vectors, so the scaled cosine moves by a few hundredths.
            AssertClose(expected, int8.Score(Sentences, Seconds), "bi-encoder int8", bound: 0.1);
        }
    }

    private static void AssertClose(float[][] expected, float[][] actual, string what, double bound = Fp32Bound)
    {
        Assert.HasCount(expected.Length, actual);
        double max = expected.Zip(actual).Max(p => p.First.Zip(p.Second).Max(q => Math.Abs(q.First - q.Second)));
        Console.WriteLine($"{what}: max |Auto − Float32| = {max:E2}");
        Assert.IsLessThanOrEqualTo(bound, max, what);
    }
}
