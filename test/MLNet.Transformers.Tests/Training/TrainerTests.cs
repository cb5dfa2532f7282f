using MLNet.Transformers.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Transformers.Tests.Training;

[TestClass]
public sealed class TrainerTests
{
    public TestContext TestContext { get; set; } = null!;

    private static TrainerOptions Options(int? maxSteps = null) => new()
    {
        MaxSteps = maxSteps, LearningRate = 0.05, WarmupSteps = 2,
    };

    // MaxSteps caps the epochs, so runs that set it get plenty of epochs.
    private static TrainingResult Run<T>(nn.Module model, ITrainingTask<T> task, TrainerOptions options, int epochs = 100, Action<string>? log = null) =>
        Trainer.Run(model, task, options, epochs, seed: 11, log);

    [TestMethod]
    public void Trainer_LossDecreasesOnLearnableTask()
    {
        using var model = new TinyTokenModel(dropout: 0.1);
        var task = new NextTokenTask(model);
        var result = Run(model, task, Options(), epochs: 10);
        Assert.AreEqual(80, result.StepsRun);
        Assert.IsTrue(result.LossHistory.Skip(70).Average() < 0.5 * result.LossHistory.Take(5).Average(),
            $"first {result.LossHistory[0]:F3}, last {result.LossHistory[^1]:F3}");
        Assert.IsTrue(result.ValidationHistory[^1].Metrics["accuracy"] > 0.9);
        Assert.AreEqual(10, result.ValidationHistory.Count); // once per epoch
    }

    [TestMethod]
    public void Trainer_ReportsProgressWithSensibleValues()
    {
        using var model = new TinyTokenModel();
        var progress = new ListProgress();
        var logLines = new List<string>();
        var options = Options();
        options.LogEverySteps = 4;
        options.Progress = progress;
        Run(model, new NextTokenTask(model), options, epochs: 2, logLines.Add);
        var schedule = new LinearWarmupSchedule(0.05, 2, 16);
        CollectionAssert.AreEqual(Enumerable.Range(1, 16).ToList(), progress.Reports.Select(r => r.Step).ToList());
        foreach (var r in progress.Reports)
        {
            Assert.AreEqual(16, r.TotalSteps);
            Assert.AreEqual((r.Step - 1) / 8, r.Epoch);
            Assert.AreEqual(schedule.LearningRate(r.Step - 1), r.LearningRate, 1e-12);
            Assert.IsTrue(double.IsFinite(r.Loss) && r.Loss > 0);
            Assert.IsTrue(r.TokensPerSecond > 0 && r.GradientNorm > 0);
            Assert.AreEqual(r.Step % 8 == 0, r.ValidationLoss is not null, $"step {r.Step}");
        }
        Assert.IsTrue(logLines.Count(l => l.StartsWith("step ") && l.Contains("tokens/s")) == 4);
        Assert.IsTrue(logLines.Any(l => l.Contains("validation loss")));
    }

    [TestMethod]
    public void Trainer_Accumulating2x4EqualsBatch8()
    {
        using var big = new TinyTokenModel();
        using var small = new TinyTokenModel();
        Run(big, new NextTokenTask(big, batchSize: 8, validate: false), Options(), epochs: 2);
        var accumulated = Options();
        accumulated.GradientAccumulationSteps = 2;
        var result = Run(small, new NextTokenTask(small, batchSize: 4, validate: false), accumulated, epochs: 2);
        Assert.AreEqual(16, result.StepsRun);
        AssertSameWeights(big.Weights(), small.Weights(), 1e-5);
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void Trainer_ResumeFromCheckpointEqualsStraightRun(bool bf16)
    {
        string dir = Path.Combine(Path.GetTempPath(), "trainer-resume-" + Guid.NewGuid().ToString("N"));
        try
        {
            // 7 steps: mid-epoch (8 batches per epoch), with dropout, so data position and torch RNG both matter.
            using var straight = new TinyTokenModel(dropout: 0.2);
            var straightOptions = Options(maxSteps: 14);
            straightOptions.UseBf16 = bf16;
            var full = Run(straight, new NextTokenTask(straight), straightOptions);

            using var first = new TinyTokenModel(dropout: 0.2);
            using var cts = new CancellationTokenSource();
            var options = Options(maxSteps: 14);
            options.TrainingStateDirectory = dir;
            options.SaveEverySteps = 7;
            options.UseBf16 = bf16;
            options.Progress = new ListProgress(r => { if (r.Step == 7) cts.Cancel(); });
            options.CancellationToken = cts.Token;
            Assert.ThrowsExactly<OperationCanceledException>(() => Run(first, new NextTokenTask(first), options));

            using var resumed = new TinyTokenModel(dropout: 0.2, seed: 99); // different init: weights come from the checkpoint
            var resume = Options(maxSteps: 14);
            resume.ResumeFrom = dir;
            resume.UseBf16 = bf16;
            var rest = Run(resumed, new NextTokenTask(resumed), resume);

            Assert.AreEqual(14, rest.StepsRun);
            for (int i = 0; i < 14; i++) Assert.AreEqual(full.LossHistory[i], rest.LossHistory[i], 1e-5, $"step {i + 1}");
            AssertSameWeights(straight.Weights(), resumed.Weights(), 1e-5);
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }

    [TestMethod]
    public void Trainer_EarlyStoppingStopsAndRestoresBestWeights()
    {
        using var model = new TinyTokenModel();
        var task = new NextTokenTask(model) { ScriptedValidationLoss = n => n == 2 ? 1.0 : 2.0 + n };
        var options = Options(maxSteps: 50);
        options.EvaluateEverySteps = 1;
        options.EarlyStoppingPatience = 2;
        Dictionary<string, float[]>? atStep2 = null;
        options.Progress = new ListProgress(r => { if (r.Step == 2) atStep2 = model.Weights(); });
        var result = Run(model, task, options);
        Assert.IsTrue(result.StoppedEarly);
        Assert.AreEqual(4, result.StepsRun);
        Assert.AreEqual(2, result.RestoredBestStep);
        AssertSameWeights(atStep2!, model.Weights(), 0);
    }

    [TestMethod]
    public void Trainer_CancellationStopsBeforeTheNextStep()
    {
        using var model = new TinyTokenModel();
        using var cts = new CancellationTokenSource();
        Dictionary<string, float[]>? atStep3 = null;
        var progress = new ListProgress(r => { if (r.Step == 3) { atStep3 = model.Weights(); cts.Cancel(); } });
        var options = Options();
        options.Progress = progress;
        options.CancellationToken = cts.Token;
        Assert.ThrowsExactly<OperationCanceledException>(() => Run(model, new NextTokenTask(model), options, epochs: 4));
        Assert.AreEqual(3, progress.Reports.Count);
        AssertSameWeights(atStep3!, model.Weights(), 0);
    }

    [TestMethod]
    public void Trainer_NativeMemoryStaysFlatAcrossSteps()
    {
        // Tensor.TotalCount is process-wide: finalize what earlier tests left to the GC first, so that the finalizer thread
        // cannot change the count in the middle of this run.
        GC.Collect(); GC.WaitForPendingFinalizers();
        using var model = new TinyTokenModel(dropout: 0.1);
        var live = new Dictionary<int, long>();
        var progress = new ListProgress(r => live[r.Step] = torch.Tensor.TotalCount);
        long before = torch.Tensor.TotalCount;
        var options = Options(maxSteps: 60);
        options.Progress = progress;
        Run(model, new NextTokenTask(model, validate: false), options);
        GC.Collect(); GC.WaitForPendingFinalizers();
        TestContext.WriteLine($"live tensors: before {before}, step 10 {live[10]}, step 60 {live[60]}, after {torch.Tensor.TotalCount}");
        Assert.AreEqual(live[10], live[60], "live tensors grew between step 10 and step 60");
        Assert.IsTrue(torch.Tensor.TotalCount <= before, "the run left tensors behind (optimizer state not disposed?)");
    }

    [TestMethod]
    public void Trainer_Bf16TrainsEndsInFp32AndTracksFp32Loss()
    {
        using var fp32 = new TinyTokenModel();
        using var bf16 = new TinyTokenModel();
        var fp32Result = Run(fp32, new NextTokenTask(fp32), Options(), epochs: 6);
        var options = Options();
        options.UseBf16 = true;
        var bf16Result = Run(bf16, new NextTokenTask(bf16), options, epochs: 6);
        Assert.IsTrue(bf16.parameters().All(p => p.dtype == ScalarType.Float32));
        Assert.IsTrue(bf16Result.LossHistory[^1] < 0.5 * bf16Result.LossHistory[0]);
        double fp32Val = fp32Result.ValidationHistory[^1].Loss, bf16Val = bf16Result.ValidationHistory[^1].Loss;
        TestContext.WriteLine($"final validation loss fp32 {fp32Val:F4}, bf16 {bf16Val:F4}");
        Assert.AreEqual(fp32Val, bf16Val, 0.1 * fp32Val + 0.02);
    }

    internal static void AssertSameWeights(Dictionary<string, float[]> expected, Dictionary<string, float[]> actual, double tolerance)
    {
        CollectionAssert.AreEquivalent(expected.Keys.ToList(), actual.Keys.ToList());
        foreach (var (name, values) in expected)
            for (int i = 0; i < values.Length; i++)
                Assert.AreEqual(values[i], actual[name][i], tolerance, $"{name}[{i}]");
    }
}
