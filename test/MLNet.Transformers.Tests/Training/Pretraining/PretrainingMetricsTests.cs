using MLNet.Transformers.Training.Pretraining;
using static TorchSharp.torch;

namespace MLNet.Transformers.Tests.Training.Pretraining;

[TestClass]
public sealed class PretrainingMetricsTests
{
    [TestMethod]
    public void MaskedLanguageModel_AccuracyAndPerplexity_IgnoreUnlabelledPositions()
    {
        // Vocabulary of 2. Position 0: p = (1/4, 3/4), label 1 -> correct, loss ln(4/3).
        // Position 1: p = (3/4, 1/4), label 1 -> wrong, loss ln 4. Position 2: label -100, ignored.
        float ln3 = MathF.Log(3);
        using var logits = tensor(new float[] { 0, ln3, ln3, 0, 100, -100 }, new long[] { 1, 3, 2 });
        using var labels = tensor(new long[] { 1, 1, -100 }, new long[] { 1, 3 });
        var metrics = new PretrainingMetrics();
        metrics.AddMaskedLanguageModel(logits, labels);
        Assert.AreEqual(2L, metrics.MaskedTokenCount);
        Assert.AreEqual(0.5, metrics.MaskedTokenAccuracy, 1e-12);
        Assert.AreEqual((Math.Log(4.0 / 3) + Math.Log(4)) / 2, metrics.MeanMaskedTokenLoss, 1e-6);
        Assert.AreEqual(Math.Sqrt(16.0 / 3), metrics.Perplexity, 1e-5);

        // A second batch with one correct token of loss ln(4/3): means are over all 3 tokens.
        using var logits2 = tensor(new float[] { 0, ln3 }, new long[] { 1, 1, 2 });
        using var labels2 = tensor(new long[] { 1 }, new long[] { 1, 1 });
        metrics.AddMaskedLanguageModel(logits2, labels2);
        Assert.AreEqual(2.0 / 3, metrics.MaskedTokenAccuracy, 1e-12);
        Assert.AreEqual((2 * Math.Log(4.0 / 3) + Math.Log(4)) / 3, metrics.MeanMaskedTokenLoss, 1e-6);
    }

    [TestMethod]
    public void MaskedLanguageModel_RejectsMismatchedShapes()
    {
        using var logits = zeros(2, 3, 5);
        using var labels = zeros(new long[] { 2, 4 }, ScalarType.Int64);
        Assert.ThrowsExactly<ArgumentException>(() => new PretrainingMetrics().AddMaskedLanguageModel(logits, labels));
    }

    [TestMethod]
    public void Metrics_BeforeAnyBatch_AreNaN()
    {
        var metrics = new PretrainingMetrics();
        Assert.IsTrue(double.IsNaN(metrics.MaskedTokenAccuracy));
        Assert.IsTrue(double.IsNaN(metrics.Perplexity));
        Assert.IsTrue(double.IsNaN(metrics.NextSentenceAccuracy));
    }

    [TestMethod]
    public void NextSentence_Accuracy()
    {
        // Predictions 0, 1, 0 against labels 0, 0, 1; the fourth row is ignored.
        using var logits = tensor(new float[] { 2, 1, 0, 1, 5, 0, 9, 0 }, new long[] { 4, 2 });
        using var labels = tensor(new long[] { 0, 0, 1, -100 });
        var metrics = new PretrainingMetrics();
        metrics.AddNextSentence(logits, labels);
        Assert.AreEqual(3L, metrics.NextSentenceCount);
        Assert.AreEqual(1.0 / 3, metrics.NextSentenceAccuracy, 1e-12);
    }

    [TestMethod]
    public void UnigramEntropy_OfHandCountedTokens()
    {
        // p = 1/2, 1/4, 1/4 -> H = 1.5 ln 2.
        Assert.AreEqual(1.5 * Math.Log(2), PretrainingMetrics.UnigramEntropy([7, 7, 8, 9]), 1e-12);
        Assert.AreEqual(0, PretrainingMetrics.UnigramEntropy([5, 5, 5]), 1e-12);
    }

    [TestMethod]
    public void UnigramEntropy_OfInstances_CountsOnlyMaskableTokens()
    {
        var specials = new SpecialTokenIds(0, 1, 2, 3, 4, 50);
        // [CLS] 7 7 [SEP] 8 [UNK] [SEP] [PAD]: maskable tokens 7, 7, 8, [UNK] -> H = 1.5 ln 2.
        var instance = new PretrainingInstance([2, 7, 7, 3, 8, 1, 3, 0], new int[8], 0);
        Assert.AreEqual(1.5 * Math.Log(2), PretrainingMetrics.UnigramEntropy([instance], specials), 1e-12);
    }
}
