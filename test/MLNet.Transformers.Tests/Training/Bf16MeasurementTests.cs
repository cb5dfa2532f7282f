using System.Diagnostics;
using MLNet.Transformers.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transformers.Tests.Training;

/// <summary>Side-by-side fp32 vs bf16 step time on a few 256×256 Linear layers; printed, not asserted.</summary>
[TestClass]
public sealed class Bf16MeasurementTests
{
    public TestContext TestContext { get; set; } = null!;

    private sealed class Mlp : nn.Module<Tensor, Tensor>
    {
        private readonly Sequential layers;

        public Mlp() : base(nameof(Mlp))
        {
            torch.manual_seed(5);
            layers = nn.Sequential(nn.Linear(256, 256), nn.GELU(), nn.Linear(256, 256), nn.GELU(),
                nn.Linear(256, 256), nn.GELU(), nn.Linear(256, 256));
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => layers.call(x);
    }

    /// <summary>Regress a fixed random linear map of the input; 512 rows per batch.</summary>
    private sealed class RegressionTask(Mlp model) : ITrainingTask<int>
    {
        public int TrainingBatchesPerEpoch => 8;

        public IEnumerable<int> TrainingBatches(int epoch, int seed) => Enumerable.Range(epoch * 8, 8);

        public Tensor ComputeLoss(int batch)
        {
            using var scope = NewDisposeScope();
            var generator = new Generator((ulong)batch + 1);
            var x = torch.randn(512, 256, generator: generator);
            var target = x.roll(1, 1) * 0.5;
            var prediction = model.call(x.to(model.parameters().First().dtype)).to(ScalarType.Float32);
            return nn.functional.mse_loss(prediction, target).MoveToOuterDisposeScope();
        }

        public long CountTokens(int batch) => 512;

        public ValidationResult? Evaluate() => null;
    }

    [TestMethod]
    public void Bf16_StepTimeAndLossSideBySideWithFp32()
    {
        var results = new Dictionary<bool, (double MsPerStep, double Loss)>();
        foreach (bool bf16 in new[] { false, true, false, true })
        {
            using var model = new Mlp();
            var options = new TrainerOptions { MaxSteps = 24, LearningRate = 1e-3, WarmupSteps = 2, UseBf16 = bf16 };
            var clock = Stopwatch.StartNew();
            var result = Trainer.Run(model, new RegressionTask(model), options, epochs: 1000, seed: 42);
            results[bf16] = (clock.Elapsed.TotalMilliseconds / 24, result.LossHistory.TakeLast(4).Average());
            Assert.IsTrue(model.parameters().All(p => p.dtype == ScalarType.Float32));
            Assert.IsTrue(result.LossHistory[^1] < result.LossHistory[0]);
        }
        TestContext.WriteLine($"fp32: {results[false].MsPerStep:F2} ms/step, final loss {results[false].Loss:F7}");
        TestContext.WriteLine($"bf16: {results[true].MsPerStep:F2} ms/step, final loss {results[true].Loss:F7}");
        TestContext.WriteLine($"bf16 speedup {results[false].MsPerStep / results[true].MsPerStep:F2}x");
    }
}
