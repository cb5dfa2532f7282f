using Microsoft.ML;
using MLNet.Transformers.Estimators;
using MLNet.Transformers.Inference;
using MLNet.Transformers.Tests.FineTuning;
using MLNet.Transformers.Tests.Inference;
using MLNet.Transformers.Training;

namespace MLNet.Transformers.Tests.Training;

/// <summary>
/// <see cref="TrainerOptions.UseBf16"/> = null follows the host rule of <see cref="Precision.Auto"/>; an explicit true on a CPU
/// without a fast bf16 GEMM trains in bf16 as asked and warns through the MLContext's channel with the reason.
/// </summary>
[TestClass]
public sealed class TrainingPrecisionTests
{
    private sealed class Row { public string Text { get; set; } = ""; public string Label { get; set; } = ""; }

    private static TrainingResult Run(bool? useBf16, List<string> log, List<string> warnings)
    {
        using var model = new TinyTokenModel();
        var options = new TrainerOptions { MaxSteps = 2, LearningRate = 0.05, UseBf16 = useBf16 };
        return Trainer.Run(model, new NextTokenTask(model, validate: false), options, epochs: 1, seed: 11, log.Add, warnings.Add);
    }

    [TestMethod]
    public void UseBf16Unset_TrainsInBf16OnABf16Host_AndFp32OnAnAvx2Host_SayingWhy()
    {
        List<string> log = [], warnings = [];
        using (HostPrecision.Simulate(HostCpuFixtures.Bf16Host))
            Assert.IsTrue(Run(null, log, warnings).UsedBf16);
        Assert.IsTrue(log.Any(l => l.Contains("auto") && l.Contains("bf16 mixed precision") && l.Contains("AVX512-BF16")), string.Join("\n", log));
        log.Clear();
        using (HostPrecision.Simulate(HostCpuFixtures.Avx2Host))
            Assert.IsFalse(Run(null, log, warnings).UsedBf16);
        Assert.IsTrue(log.Any(l => l.Contains("training in fp32")), string.Join("\n", log));
        Assert.IsEmpty(warnings);
        using (HostPrecision.Simulate(HostCpuFixtures.Bf16Host, "fp32"))
            Assert.IsFalse(Run(null, log, warnings).UsedBf16, "the environment variable decides what unset means");
        using (HostPrecision.Simulate(HostCpuFixtures.Bf16Host))
            Assert.IsFalse(Run(false, log, warnings).UsedBf16, "an explicit false wins");
    }

    [TestMethod]
    public void UseBf16True_OnAnAvx2Host_TrainsInBf16AndWarnsThroughTheMLContextWithTheReason()
    {
        List<string> log = [], warnings = [];
        using (HostPrecision.Simulate(HostCpuFixtures.Bf16Host))
            Assert.IsTrue(Run(true, log, warnings).UsedBf16);
        Assert.IsEmpty(warnings, "no warning where bf16 is fast");

        using var head = new HeadFixture(numLabels: 2, names: ["neg", "pos"]);
        var ml = new MLContext(seed: 1);
        var messages = new List<string>();
        ml.Log += (_, e) => { lock (messages) messages.Add(e.Message); };
        var raw = ml.Data.LoadFromEnumerable(ScoringPrecisionTests.Sentences.Select((t, i) => new Row { Text = t, Label = i % 2 == 0 ? "neg" : "pos" }));
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);
        var estimator = ml.MulticlassClassification.Trainers.TextClassification(new TextClassificationOptions
        {
            CheckpointDirectory = head.Path, Sentence1ColumnName = "Text", LabelColumnName = "Label", MaxEpochs = 1, BatchSize = 4,
            Training = new TrainerOptions { MaxSteps = 1, UseBf16 = true },
        });
        using (HostPrecision.Simulate(HostCpuFixtures.Avx2Host))
        using (estimator.Fit(data)) { }
        Assert.IsTrue(estimator.LastTrainingResult!.UsedBf16, "bf16 as asked, even where it is slow");
        var warning = messages.SingleOrDefault(m => m.Contains("UseBf16 = true"));
        Assert.IsNotNull(warning, string.Join("\n", messages));
        StringAssert.Contains(warning, "AMD EPYC 7B13");
        StringAssert.Contains(warning, "libtorch emulates bf16 GEMM");
        StringAssert.Contains(warning, "set it to false");
    }
}
