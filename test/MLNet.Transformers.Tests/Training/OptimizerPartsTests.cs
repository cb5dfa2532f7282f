using MLNet.Transformers.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Transformers.Tests.Training;

[TestClass]
public sealed class OptimizerPartsTests
{
    [TestMethod]
    public void LinearWarmupSchedule_MatchesHfValuesAtChosenSteps()
    {
        var schedule = new LinearWarmupSchedule(peakLearningRate: 1.0, warmupSteps: 10, totalSteps: 110);
        Assert.AreEqual(0.0, schedule.LearningRate(0), 1e-12);
        Assert.AreEqual(0.5, schedule.LearningRate(5), 1e-12);
        Assert.AreEqual(1.0, schedule.LearningRate(10), 1e-12);
        Assert.AreEqual(0.5, schedule.LearningRate(60), 1e-12);
        Assert.AreEqual(0.01, schedule.LearningRate(109), 1e-12);
        Assert.AreEqual(0.0, schedule.LearningRate(110), 1e-12);
        Assert.AreEqual(0.0, schedule.LearningRate(200), 1e-12);
        var noWarmup = new LinearWarmupSchedule(2.0, 0, 4);
        Assert.AreEqual(2.0, noWarmup.LearningRate(0), 1e-12);
        Assert.AreEqual(1.0, noWarmup.LearningRate(2), 1e-12);
    }

    [TestMethod]
    public void AdamW_ExemptsBiasAndLayerNormByName()
    {
        Assert.IsTrue(AdamW.IsDecayed("encoder.layer.0.attention.self.query.weight"));
        Assert.IsTrue(AdamW.IsDecayed("embeddings.word_embeddings.weight"));
        Assert.IsFalse(AdamW.IsDecayed("encoder.layer.0.attention.self.query.bias"));
        Assert.IsFalse(AdamW.IsDecayed("embeddings.LayerNorm.weight"));
        Assert.IsFalse(AdamW.IsDecayed("decoder.block.0.layer_norm.weight"));
        Assert.IsFalse(AdamW.IsDecayed("h.0.ln_1.weight"));
    }

    [TestMethod]
    public void AdamW_WithZeroGradient_ShrinksDecayedWeightsOnly()
    {
        using var model = new TinyTokenModel();
        var before = model.Weights();
        var named = model.named_parameters().Select(p => (p.name, (Tensor)p.parameter)).ToList();
        using var adam = new AdamW(named, weightDecay: 0.1);
        var zeros = named.Select(p => (Tensor?)zeros_like(p.Item2)).ToList();
        adam.Step(0.5, zeros);
        var after = model.Weights();
        foreach (var (name, values) in before)
        {
            float factor = AdamW.IsDecayed(name) ? 1 - 0.5f * 0.1f : 1f;
            for (int i = 0; i < values.Length; i++)
                Assert.AreEqual(values[i] * factor, after[name][i], 1e-6, name);
        }
        Assert.IsTrue(before.Keys.Any(AdamW.IsDecayed) && before.Keys.Any(n => !AdamW.IsDecayed(n)));
    }

    [TestMethod]
    public void AdamW_MatchesTorchOptimAdamW()
    {
        torch.manual_seed(3);
        var start = torch.randn(5, 4);
        var mine = start.clone();
        var reference = new TorchSharp.Modules.Parameter(start.clone());
        using var adam = new AdamW([("w", mine)], 0.9, 0.99, 1e-8, 0.05);
        var torchAdam = torch.optim.AdamW([reference], lr: 0.01, beta1: 0.9, beta2: 0.99, eps: 1e-8, weight_decay: 0.05);
        for (int step = 0; step < 5; step++)
        {
            var grad = torch.randn(5, 4);
            adam.Step(0.01, [grad]);
            reference.grad = grad.clone();
            torchAdam.step();
        }
        var a = mine.data<float>().ToArray();
        var b = reference.detach().data<float>().ToArray();
        for (int i = 0; i < a.Length; i++) Assert.AreEqual(b[i], a[i], 1e-6);
        Assert.AreNotEqual(start.data<float>()[0], a[0]);
    }

    [TestMethod]
    public void GradientClipping_BoundsTheGlobalNorm()
    {
        var g1 = torch.full(4, 3.0f);   // norm 6
        var g2 = torch.full(9, 8.0f / 3); // norm 8 → global 10
        double norm = GradientClipping.ClipByGlobalNorm([g1, null, g2], 1.0);
        Assert.AreEqual(10.0, norm, 1e-5);
        double clipped = Math.Sqrt(g1.pow(2).sum().item<float>() + g2.pow(2).sum().item<float>());
        Assert.AreEqual(1.0, clipped, 1e-4);
        Assert.AreEqual(0.6 / 2, g1[0].item<float>(), 1e-4); // direction kept: 3 * 1/10

        var small = torch.full(4, 0.1f);
        GradientClipping.ClipByGlobalNorm([small], 1.0);
        Assert.AreEqual(0.1f, small[0].item<float>(), 1e-7f);
    }
}
