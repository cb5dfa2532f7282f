namespace MLNet.Transformers.Training.Objectives.SpanCorruption;

/// <summary>Which tokens an objective corrupts: true = noise. Ports of T5's <c>preprocessors.random_spans_noise_mask</c> and <c>iid_noise_mask</c>.</summary>
internal static class NoiseMasks
{
    /// <summary>
    /// T5's random spans: exactly round(length · density) noise tokens (at least 1, at most length−1) in
    /// round(noise / meanSpanLength) spans (at least 1); noise and non-noise tokens are each cut into that many non-empty
    /// segments at random and interleaved, starting with non-noise — so the sequence always ends with a noise span.
    /// Rounding is half-to-even, as tf.round.
    /// </summary>
    public static bool[] RandomSpans(int length, double noiseDensity, double meanNoiseSpanLength, Random random)
    {
        if (length < 1) throw new ArgumentOutOfRangeException(nameof(length), "A sequence needs at least one token.");
        if (noiseDensity is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(noiseDensity), "Noise density must be in (0, 1).");
        if (meanNoiseSpanLength < 1) throw new ArgumentOutOfRangeException(nameof(meanNoiseSpanLength), "Mean noise span length must be at least 1.");
        int originalLength = length;
        length = Math.Max(length, 2); // T5 pads a 1-token sequence to 2 and cuts the mask back
        int noiseTokens = Math.Clamp((int)Math.Round(length * noiseDensity), 1, length - 1);
        int noiseSpans = Math.Max((int)Math.Round(noiseTokens / meanNoiseSpanLength), 1);
        int nonNoiseTokens = length - noiseTokens;
        noiseSpans = Math.Min(noiseSpans, Math.Min(noiseTokens, nonNoiseTokens)); // every segment must be non-empty
        var noiseLengths = RandomSegmentation(noiseTokens, noiseSpans, random);
        var nonNoiseLengths = RandomSegmentation(nonNoiseTokens, noiseSpans, random);
        var mask = new bool[length];
        int position = 0;
        for (int span = 0; span < noiseSpans; span++)
        {
            position += nonNoiseLengths[span];
            for (int i = 0; i < noiseLengths[span]; i++) mask[position++] = true;
        }
        return mask[..originalLength];
    }

    /// <summary>Each token is noise independently with probability <paramref name="noiseDensity"/> (BERT-style corruption).</summary>
    public static bool[] Iid(int length, double noiseDensity, Random random)
    {
        if (noiseDensity is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(noiseDensity), "Noise density must be in [0, 1].");
        var mask = new bool[length];
        for (int i = 0; i < length; i++) mask[i] = random.NextDouble() < noiseDensity;
        return mask;
    }

    // T5's _random_segmentation: shuffle (segments−1) "segment starts" among the first items−1 gaps.
    private static int[] RandomSegmentation(int items, int segments, Random random)
    {
        var isStart = new bool[items - 1];
        for (int i = 0; i < segments - 1; i++) isStart[i] = true;
        random.Shuffle(isStart);
        var lengths = new int[segments];
        int segment = 0;
        lengths[0] = 1;
        foreach (var start in isStart)
        {
            if (start) segment++;
            lengths[segment]++;
        }
        return lengths;
    }
}
