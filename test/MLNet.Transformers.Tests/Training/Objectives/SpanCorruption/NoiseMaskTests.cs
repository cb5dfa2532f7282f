using MLNet.Transformers.Training.Objectives.SpanCorruption;

namespace MLNet.Transformers.Tests.Training.Objectives.SpanCorruption;

/// <summary>T5's random_spans_noise_mask: corruption rate and mean span length over many samples, structure, determinism.</summary>
[TestClass]
public sealed class NoiseMaskTests
{
    [TestMethod]
    [DataRow(0.15, 3.0)]
    [DataRow(0.10, 2.0)]
    [DataRow(0.25, 3.0)]
    [DataRow(0.50, 8.0)]
    public void RandomSpans_OverManySamples_HitTheRateAndTheMeanSpanLength(double rate, double meanSpan)
    {
        var random = new Random(7);
        long tokens = 0, noise = 0, spans = 0;
        var spanLengths = new HashSet<int>();
        for (int sample = 0; sample < 2000; sample++)
        {
            int length = random.Next(50, 600);
            var mask = NoiseMasks.RandomSpans(length, rate, meanSpan, random);
            Assert.AreEqual(length, mask.Length);
            Assert.IsFalse(mask[0], "T5's mask starts with a non-noise span");
            Assert.IsTrue(mask[^1], "…and ends with a noise span");
            int count = mask.Count(m => m);
            Assert.AreEqual((int)Math.Round(length * rate), count, "exactly round(length · rate) noise tokens");
            tokens += length;
            noise += count;
            foreach (var span in Spans(mask)) { spans++; spanLengths.Add(span); }
        }
        double fraction = (double)noise / tokens, mean = (double)noise / spans;
        Assert.AreEqual(rate, fraction, 0.005, $"corrupted fraction {fraction:F4}");
        Assert.AreEqual(meanSpan, mean, meanSpan * 0.05, $"mean span {mean:F3}");
        Assert.IsTrue(spanLengths.Contains(1) && spanLengths.Max() >= 2 * meanSpan, "span lengths are random, not all equal to the mean");
    }

    [TestMethod]
    public void RandomSpans_AreDeterministicGivenTheSeed_AndHandleTinyInputs()
    {
        CollectionAssert.AreEqual(NoiseMasks.RandomSpans(100, 0.15, 3, new Random(1)), NoiseMasks.RandomSpans(100, 0.15, 3, new Random(1)));
        CollectionAssert.AreNotEqual(NoiseMasks.RandomSpans(100, 0.15, 3, new Random(1)), NoiseMasks.RandomSpans(100, 0.15, 3, new Random(2)));
        CollectionAssert.AreEqual(new[] { false }, NoiseMasks.RandomSpans(1, 0.15, 3, new Random(1))); // T5 pads to 2 and cuts back
        CollectionAssert.AreEqual(new[] { false, true }, NoiseMasks.RandomSpans(2, 0.15, 3, new Random(1)));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => NoiseMasks.RandomSpans(10, 1.5, 3, new Random(1)));
    }

    [TestMethod]
    public void Lengths_MatchT5sRandomSpansHelper()
    {
        // HF run_t5_mlm_flax / T5's random_spans_helper: inputs 512 at 15%, span 3 → 568 raw tokens, targets 114.
        Assert.AreEqual((568, 114), SpanCorruptionLengths.Compute(512, 0.15, 3));
        var (tokens, targets) = SpanCorruptionLengths.Compute(128, 0.5, 3);
        Assert.IsTrue(targets <= 128 + 1 && tokens > 128);
    }

    internal static IEnumerable<int> Spans(bool[] mask)
    {
        int run = 0;
        foreach (var m in mask)
        {
            if (m) run++;
            else if (run > 0) { yield return run; run = 0; }
        }
        if (run > 0) yield return run;
    }
}
