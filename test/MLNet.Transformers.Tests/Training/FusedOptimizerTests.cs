using MLNet.Transformers.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Transformers.Tests.Training;

/// <summary>
/// The fused optimizer pass (AdamWKernel: AdamW, clipping's factor, bf16 gradients and the bf16 model copy in one pass)
/// against the same update done as separate libtorch ops, and the bf16 training step against the earlier one (fp32
/// gradient buffers, clipping in place, masters copied back after the step).
/// </summary>
[TestClass]
public sealed class FusedOptimizerTests
{
    // 70,001 elements cross the 65,536-element chunk boundary and leave a tail that is no multiple of the vector width.
    private static readonly (string Name, long[] Shape)[] Parameters =
        [("dense.weight", [70001]), ("dense.bias", [13, 7]), ("LayerNorm.weight", [5]), ("head.weight", [3, 64])];

    private static List<(string Name, Tensor Parameter)> Start(int seed)
    {
        torch.manual_seed(seed);
        return Parameters.Select(p => (p.Name, torch.randn(p.Shape))).ToList();
    }

    // Gradients of ~1e-3 with eps 1e-3, so the clipping factor is not normalised away by m / sqrt(v).
    private static List<Tensor?> Gradients(int step, ScalarType type)
    {
        torch.manual_seed(100 + step);
        return Parameters.Select(p => (Tensor?)(torch.randn(p.Shape) * 1e-3).to(type)).ToList();
    }

    private static bool Same(Tensor a, Tensor b) => a.dtype == b.dtype && a.eq(b).all().item<bool>();

    // Within fp32 rounding of the tensor's scale: the kernel and libtorch may round a multiply-add once or twice, and a
    // few ulps of the larger term per step are left where terms cancel.
    private static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        var e = expected.to(ScalarType.Float32).data<float>().ToArray();
        var a = actual.to(ScalarType.Float32).data<float>().ToArray();
        Assert.AreEqual(e.Length, a.Length, what);
        double tolerance = 1e-6 * e.Max(Math.Abs);
        for (int i = 0; i < e.Length; i++)
            if (Math.Abs(e[i] - a[i]) > tolerance)
                Assert.Fail($"{what}[{i}]: expected {e[i]:R}, got {a[i]:R} (tolerance {tolerance:G3})");
    }

    [TestMethod]
    [DataRow(ScalarType.Float32)]
    [DataRow(ScalarType.BFloat16)]
    public void FusedAdamW_MatchesLibtorchOps_WithDecayClipFactorAndBf16Copies(ScalarType gradientType)
    {
        using var scope = NewDisposeScope();
        var fusedParameters = Start(1);
        var referenceParameters = Start(1);
        var fusedCopies = Parameters.Select(p => torch.zeros(p.Shape, ScalarType.BFloat16)).ToList();
        var referenceCopies = Parameters.Select(p => torch.zeros(p.Shape, ScalarType.BFloat16)).ToList();
        using var fused = new AdamW(fusedParameters, 0.9, 0.99, 1e-3, 0.1);
        using var reference = new AdamW(referenceParameters, 0.9, 0.99, 1e-3, 0.1) { UseFusedKernel = false };
        double[] scales = [1.0, 0.37, 0.81, 1.0, 0.05];
        for (int step = 0; step < scales.Length; step++)
        {
            var gradients = Gradients(step, gradientType);
            if (step == 2) gradients[3] = null;   // a parameter without a gradient is skipped, as in PyTorch
            var before = gradients.Select(g => g?.clone()).ToList();
            fused.Step(0.01, gradients, scales[step], fusedCopies);
            reference.Step(0.01, gradients, scales[step], referenceCopies);
            for (int i = 0; i < gradients.Count; i++)
                if (gradients[i] is Tensor g) Assert.IsTrue(Same(g, before[i]!), "the gradients are left as they are");
        }
        var fusedState = fused.State.ToList();
        var referenceState = reference.State.ToList();
        for (int i = 0; i < Parameters.Length; i++)
        {
            string name = Parameters[i].Name;
            AssertClose(referenceParameters[i].Parameter, fusedParameters[i].Parameter, name);
            AssertClose(referenceState[i].M, fusedState[i].M, name + " m");
            AssertClose(referenceState[i].V, fusedState[i].V, name + " v");
            Assert.AreEqual(referenceState[i].Steps, fusedState[i].Steps, name);
            // The copy is the updated parameter rounded to bf16, bit for bit what libtorch's copy_ gives.
            Assert.IsTrue(Same(fusedCopies[i], fusedParameters[i].Parameter.to(ScalarType.BFloat16)), name + " bf16 copy");
        }
        Assert.AreEqual(4, fusedState[3].Steps);
        // The clipping factor reaches the update: without it the same steps land elsewhere.
        var unscaledParameters = Start(1);
        using var unscaled = new AdamW(unscaledParameters, 0.9, 0.99, 1e-3, 0.1);
        for (int step = 0; step < scales.Length; step++) unscaled.Step(0.01, Gradients(step, gradientType));
        Assert.IsTrue((unscaledParameters[0].Parameter - fusedParameters[0].Parameter).abs().max().item<float>() > 1e-4);
    }

    [TestMethod]
    public void Bf16Rounding_IsRoundToNearestEvenAsLibtorch()
    {
        float[] values = [1f, 1.00390625f, 1.01171875f, -3.3333333f, 65504.7f, float.MaxValue, float.Epsilon, -0f, float.PositiveInfinity];
        var bits = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(torch.tensor(values).to(ScalarType.BFloat16).bytes).ToArray();
        for (int i = 0; i < values.Length; i++)
            Assert.AreEqual(bits[i], AdamWKernel.RoundToBf16(values[i]), $"{values[i]}");
        Assert.AreEqual((ushort)0x7FC0, AdamWKernel.RoundToBf16(float.NaN));
    }

    [TestMethod]
    public void GlobalNorm_MatchesDoublePrecisionOverFp32Bf16AndStridedGradients()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(4);
        var fp32 = torch.randn(70001);
        var bf16 = torch.randn(300, 7).to(ScalarType.BFloat16);
        var strided = torch.randn(9, 11).t();   // not contiguous: through libtorch
        double expected = Math.Sqrt(new[] { fp32, bf16, strided }.Sum(g => g.to(ScalarType.Float64).pow(2).sum().item<double>()));
        double norm = GradientClipping.GlobalNorm([fp32, null, bf16, strided]);
        Assert.AreEqual(expected, norm, 1e-6 * expected);
        Assert.AreEqual(1.0, GradientClipping.Scale(norm, null));
        Assert.AreEqual(1.0, GradientClipping.Scale(norm, 0));
        Assert.AreEqual(1.0, GradientClipping.Scale(norm, 2 * norm));
        Assert.AreEqual(1.0 / (norm + 1e-6), GradientClipping.Scale(norm, 1.0), 1e-15);
    }

    [TestMethod]
    public void Trainer_Bf16Step_EqualsTheUnfusedStep()
    {
        const int seed = 3, epochs = 2;
        const double maxGradNorm = 0.5, learningRate = 3e-3;   // small enough that clipping acts on every step
        using var model = new TinyTokenModel(vocab: 32, hidden: 24, dropout: 0.1);
        var task = new NextTokenTask(model, examples: 48, batchSize: 8, vocab: 32, validate: false);
        var progress = new ListProgress();
        var options = new TrainerOptions
        {
            UseBf16 = true, LearningRate = learningRate, WarmupSteps = 1, MaxGradNorm = maxGradNorm, LogEverySteps = int.MaxValue, Progress = progress,
        };
        var result = Trainer.Run(model, task, options, epochs, seed);

        // The earlier step, written out: fp32 gradient buffers, clipping in place, libtorch-op AdamW, masters copied back.
        using var twin = new TinyTokenModel(vocab: 32, hidden: 24, dropout: 0.1);
        var twinTask = new NextTokenTask(twin, examples: 48, batchSize: 8, vocab: 32, validate: false);
        torch.manual_seed(seed);
        var expectedLosses = new List<double>();
        var expectedNorms = new List<double>();
        using (var precision = new Bf16MixedPrecision(twin))
        using (var optimizer = new AdamW(precision.Masters.ToList(), weightDecay: options.WeightDecay) { UseFusedKernel = false })
        {
            var schedule = new LinearWarmupSchedule(learningRate, 1, epochs * twinTask.TrainingBatchesPerEpoch);
            twin.train();
            int step = 0;
            for (int epoch = 0; epoch < epochs; epoch++)
                foreach (var batch in twinTask.TrainingBatches(epoch, seed))
                {
                    using var stepScope = NewDisposeScope();
                    twin.zero_grad();
                    precision.ZeroMasterGradients();
                    var loss = twinTask.ComputeLoss(batch);
                    loss.backward();
                    expectedLosses.Add(loss.item<float>());
                    precision.AccumulateGradients();
                    var gradients = precision.Gradients(accumulated: true);
                    expectedNorms.Add(GradientClipping.ClipByGlobalNorm(gradients, maxGradNorm));
                    optimizer.Step(schedule.LearningRate(step++), gradients);
                    precision.CopyMastersToModel();
                }
            precision.RestoreFp32();
        }

        Assert.AreEqual(expectedLosses.Count, result.LossHistory.Count);
        for (int i = 0; i < expectedLosses.Count; i++)
        {
            Assert.AreEqual(expectedLosses[i], result.LossHistory[i], 1e-3, $"loss at step {i}");
            Assert.AreEqual(expectedNorms[i], progress.Reports[i].GradientNorm, 1e-3 * expectedNorms[i], $"gradient norm at step {i}");
        }
        Assert.IsTrue(expectedNorms.All(n => n > maxGradNorm), "clipping acted on every step");
        var actual = model.Weights();
        foreach (var (name, values) in twin.Weights())
            for (int i = 0; i < values.Length; i++)
                Assert.AreEqual(values[i], actual[name][i], 1e-4, $"{name}[{i}]");
        Assert.IsTrue(result.LossHistory[^1] < result.LossHistory[0]);
    }
}
