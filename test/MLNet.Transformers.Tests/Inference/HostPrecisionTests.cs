using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transformers.Estimators;
using MLNet.Transformers.Inference;
using MLNet.Transformers.Tests.Checkpoints;
using MLNet.Transformers.Tests.FineTuning;
using MLNet.Transformers.Tests.Models;
using MLNet.Transformers.Transforms;

namespace MLNet.Transformers.Tests.Inference;

/// <summary>
/// <see cref="Precision.Auto"/>: bf16 on CPUs with AVX512-BF16/AMX, fp32 elsewhere (through ONNX Runtime where the transformer
/// has that engine, <see cref="AutoOnnxRuntimeTests"/>), decided on the host that scores (tested by
/// simulating both host kinds from cpuinfo texts), overridable by <see cref="HostPrecision.EnvironmentVariable"/>, saved as
/// Auto and resolved again when loaded.
/// </summary>
[TestClass]
public sealed class HostPrecisionTests
{
    private sealed class Row { public string Text { get; set; } = ""; }

    [TestMethod]
    public void Parse_ReadsTheFirstProcessorsModelAndFlags()
    {
        var host = HostCpuFixtures.Avx2Host;
        Assert.AreEqual("AMD EPYC 7B13", host.Model);
        Assert.Contains("avx2", host.Flags);
        Assert.DoesNotContain("avx512f", host.Flags);
        Assert.IsFalse(host.HasFastBf16);
        Assert.IsFalse(host.HasVnni);
        StringAssert.Contains(host.IsaLine, "AMD EPYC 7B13; avx2 fma no-avx512f");
        Assert.IsTrue(HostCpuFixtures.Bf16Host.HasFastBf16);
        Assert.IsTrue(HostCpuFixtures.Bf16Host.HasVnni);
        Assert.AreEqual("unknown", HostCpu.Parse("").Model);
        Assert.IsFalse(HostCpu.Parse("").HasFastBf16);
    }

    [TestMethod]
    public void Auto_IsFloat32OnAnAvx2Host_AndBFloat16WithAvx512Bf16OrAmx()
    {
        Assert.AreEqual((Precision.Float32, true), Engine(HostPrecision.Choose(HostCpuFixtures.Avx2Host, null)), "fp32 through ONNX Runtime");
        Assert.AreEqual((Precision.BFloat16, false), Engine(HostPrecision.Choose(HostCpuFixtures.Bf16Host, null)));
        Assert.AreEqual(Precision.BFloat16, HostPrecision.Choose(HostCpu.Parse(HostCpuFixtures.Amx), "auto").Precision);
        StringAssert.Contains(HostPrecision.Choose(HostCpuFixtures.Avx2Host, "").Reason, "no AVX512-BF16");
        // avx512_bf16 without the AVX-512 state enabled (avx512f absent) is not usable.
        Assert.AreEqual(Precision.Float32, HostPrecision.Choose(HostCpu.Parse("flags : avx2 avx512_bf16"), null).Precision);
    }

    [TestMethod]
    public void EnvironmentVariable_DecidesWhatAutoMeans_ButNotAnExplicitPrecision()
    {
        Assert.AreEqual((Precision.BFloat16, false), Engine(HostPrecision.Choose(HostCpuFixtures.Avx2Host, "bf16")));
        Assert.AreEqual((Precision.Float32, false), Engine(HostPrecision.Choose(HostCpuFixtures.Bf16Host, " FP32 ")), "fp32 means libtorch fp32");
        Assert.AreEqual((Precision.Float32, false), Engine(HostPrecision.Choose(HostCpuFixtures.Avx2Host, "fp32")), "also where Auto would pick ONNX Runtime");
        Assert.AreEqual((Precision.Float32, true), Engine(HostPrecision.Choose(HostCpuFixtures.Bf16Host, "ONNX-fp32")));
        Assert.AreEqual(Precision.BFloat16, HostPrecision.Choose(HostCpuFixtures.Bf16Host, "auto").Precision);
        using (HostPrecision.Simulate(HostCpuFixtures.Bf16Host, "fp32"))
        {
            Assert.AreEqual(Precision.Float32, HostPrecision.Resolve(Precision.Auto));
            Assert.AreEqual(Precision.BFloat16, HostPrecision.Resolve(Precision.BFloat16));
        }
        using (HostPrecision.Simulate(HostCpuFixtures.Avx2Host, "bf16"))
            Assert.AreEqual(Precision.Float32, HostPrecision.Resolve(Precision.Float32));
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => HostPrecision.Choose(HostCpuFixtures.Avx2Host, "int4"));
        StringAssert.Contains(e.Message, HostPrecision.EnvironmentVariable);
        StringAssert.Contains(e.Message, "'int4'");
        StringAssert.Contains(e.Message, "onnx-fp32");
    }

    private static (Precision, bool) Engine((Precision Precision, bool OnnxRuntime, string Reason) choice) => (choice.Precision, choice.OnnxRuntime);

    [TestMethod]
    public void TheTestRun_PinsAutoToFp32_AndTheRealHostIsReadAsCpuinfoSays()
    {
        Assert.AreEqual("fp32", Environment.GetEnvironmentVariable(HostPrecision.EnvironmentVariable));
        Assert.AreEqual(Precision.Float32, HostPrecision.Resolve(Precision.Auto));
        Console.WriteLine(HostPrecision.Describe());
        if (!File.Exists("/proc/cpuinfo")) return;
        // CPUID (System.Runtime.Intrinsics) and the kernel's flags agree on what matters for the choice.
        var kernel = HostCpu.Parse(File.ReadAllText("/proc/cpuinfo"));
        Assert.AreEqual(kernel.HasFastBf16, HostCpu.Current.HasFastBf16, $"CPUID: {HostCpu.Current.IsaLine}; cpuinfo: {kernel.IsaLine}");
        Assert.AreEqual(kernel.Flags.Contains("avx2"), HostCpu.Current.Flags.Contains("avx2"));
    }

    [TestMethod]
    public void AutoEmbedding_ScoresInBf16OnABf16Host_AndInFp32OnAnAvx2Host()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(ScoringPrecisionTests.Sentences.Select(t => new Row { Text = t }));
        float[][] Embed(Precision? precision)
        {
            var settings = new TransformerEmbeddingSettings("E", "Text", null, EmbeddingPooling.Mean, 64, 4);
            using var transformer = ml.Transforms.Text.TransformerEmbedding(BertParityTests.FixtureDirectory,
                precision is Precision p ? settings with { Precision = p } : settings).Fit(data);
            return transformer.Embed(ScoringPrecisionTests.Sentences);
        }
        var fp32 = Embed(Precision.Float32);
        var bf16 = Embed(Precision.BFloat16);
        Assert.IsGreaterThan(0.0, MaxDifference(fp32, bf16), "bf16 must change the numbers, or this test checks nothing");
        using (HostPrecision.Simulate(HostCpuFixtures.Avx2Host))
            AssertClose(fp32, Embed(null), "Auto on an AVX2 host (fp32 through ONNX Runtime)");
        using (HostPrecision.Simulate(HostCpuFixtures.Avx2Host, "fp32"))
            AssertEqual(fp32, Embed(null), "Auto on an AVX2 host with the variable at fp32 (libtorch)");
        using (HostPrecision.Simulate(HostCpuFixtures.Bf16Host))
            AssertEqual(bf16, Embed(null), "Auto on an AVX512-BF16 host");
    }

    [TestMethod]
    public void AutoIsSavedAsAuto_AndResolvedOnTheHostThatLoadsTheModel()
    {
        using var head = new HeadFixture(numLabels: 2, names: ["neg", "pos"]);
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(ScoringPrecisionTests.Sentences.Select(t => new Row { Text = t }));
        var texts = ScoringPrecisionTests.Sentences;
        SequenceClassificationTransformer Fit(Precision? precision, string? checkpoint = null)
        {
            var options = new TextClassificationOptions { CheckpointDirectory = checkpoint ?? head.Path, Sentence1ColumnName = "Text", MaxEpochs = 0, BatchSize = 4 };
            if (precision is Precision p) options.Precision = p;
            return ml.MulticlassClassification.Trainers.TextClassification(options).Fit(data);
        }
        float[][] fp32, bf16;
        using (var t = Fit(Precision.Float32)) fp32 = t.Score(texts);
        using (var t = Fit(Precision.BFloat16)) bf16 = t.Score(texts);
        Assert.IsGreaterThan(0.0, MaxDifference(fp32, bf16));
        using var dir = new TempDirectory();

        // Fitted where Auto is fp32, loaded where it is bf16: the loading host's choice.
        using (HostPrecision.Simulate(HostCpuFixtures.Avx2Host))
        using (var onAvx2Host = Fit(null))
        {
            Assert.AreEqual(Precision.Auto, onAvx2Host.Settings.Precision);
            AssertClose(fp32, onAvx2Host.Score(texts), "fitted on an AVX2 host");
            ml.Model.Save(onAvx2Host, data.Schema, dir.File("from-avx2.zip"));
        }
        using (HostPrecision.Simulate(HostCpuFixtures.Bf16Host))
        using (var loaded = (SequenceClassificationTransformer)ml.Model.Load(dir.File("from-avx2.zip"), out _))
            AssertEqual(bf16, loaded.Score(texts), "loaded on a bf16 host");

        // Fitted where Auto is bf16, loaded where it is fp32: fp32 arithmetic over the weights the bf16 model saved (its
        // linear weights are stored bf16-rounded), so exactly what an explicit Float32 transformer of that checkpoint gives.
        using (HostPrecision.Simulate(HostCpuFixtures.Bf16Host))
        using (var onBf16Host = Fit(null))
        {
            AssertEqual(bf16, onBf16Host.Score(texts), "fitted on a bf16 host");
            ml.Model.Save(onBf16Host, data.Schema, dir.File("from-bf16.zip"));
            onBf16Host.SaveCheckpoint(dir.File("rounded"));
        }
        float[][] fp32OverRoundedWeights;
        using (var t = Fit(Precision.Float32, dir.File("rounded"))) fp32OverRoundedWeights = t.Score(texts);
        using (HostPrecision.Simulate(HostCpuFixtures.Avx2Host))
        using (var loaded = (SequenceClassificationTransformer)ml.Model.Load(dir.File("from-bf16.zip"), out _))
        {
            Assert.AreEqual(Precision.Auto, loaded.Settings.Precision);
            var scores = loaded.Score(texts);
            AssertClose(fp32OverRoundedWeights, scores, "loaded on an AVX2 host");
            Assert.IsGreaterThan(0.0, MaxDifference(bf16, scores), "the AVX2 host must not compute in bf16");
            Assert.IsLessThan(2e-2, MaxDifference(fp32, scores));
        }
    }

    private static double MaxDifference(float[][] a, float[][] b) => a.Zip(b).Max(p => p.First.Zip(p.Second).Max(q => Math.Abs(q.First - q.Second)));

    // fp32 through ONNX Runtime (Auto on an AVX2 host) against libtorch fp32: the same arithmetic in another kernel order.
    private static void AssertClose(float[][] expected, float[][] actual, string what) =>
        Assert.IsLessThan(1e-5, MaxDifference(expected, actual), what);

    private static void AssertEqual(float[][] expected, float[][] actual, string what)
    {
        for (int i = 0; i < expected.Length; i++) CollectionAssert.AreEqual(expected[i], actual[i], $"{what}: row {i}");
    }
}
