namespace MLNet.Transformers.Benchmarks;

/// <summary>One way of embedding a list of texts, timed against the others.</summary>
internal sealed record Contender(string Name, Func<IReadOnlyList<string>, float[][]> EmbedAll);

/// <summary>What a contender measured: median seconds over the rounds (and the spread), peak memory added, its outputs, each round's seconds.</summary>
internal sealed record Measurement(Contender Contender, double Seconds, double Min, double Max, double PeakMegabytes, float[][] Outputs, double[] Rounds)
{
    /// <summary>
    /// How many times faster this contender ran than <paramref name="reference"/>: the median and the min–max over rounds
    /// of the per-round ratio (both ran in the same round, one after the other, so they saw the same load).
    /// </summary>
    public (double Median, double Min, double Max) SpeedupOver(Measurement reference)
    {
        var ratios = reference.Rounds.Zip(Rounds, (r, t) => r / t).ToList();
        return (Stopwatches.Median(ratios), ratios.Min(), ratios.Max());
    }
}

internal static class Contenders
{
    /// <summary>
    /// Warms every contender up on one text, then runs <paramref name="rounds"/> rounds (at least one) in which the
    /// contenders take turns, so that load from other processes hits them alike; the first round also records each
    /// contender's peak memory and outputs. Medians over the rounds are reported.
    /// </summary>
    public static Measurement[] Measure(IReadOnlyList<Contender> contenders, IReadOnlyList<string> texts, int rounds)
    {
        foreach (var c in contenders) c.EmbedAll([texts[0]]);   // first-touch allocations, thread pools, ONNX Runtime's arena
        var outputs = new float[contenders.Count][][];
        var memory = new double[contenders.Count];
        var times = contenders.Select(_ => new List<double>()).ToArray();
        for (int r = 0; r < Math.Max(1, rounds); r++)
            for (int c = 0; c < contenders.Count; c++)
            {
                if (r > 0) { times[c].Add(Stopwatches.Time(() => contenders[c].EmbedAll(texts))); continue; }
                GC.Collect();
                memory[c] = Memory.PeakMegabytesAdded(() => times[c].Add(Stopwatches.Time(() => outputs[c] = contenders[c].EmbedAll(texts))));
            }
        return contenders.Select((c, i) => new Measurement(c, Stopwatches.Median(times[i]), times[i].Min(), times[i].Max(), memory[i], outputs[i], times[i].ToArray())).ToArray();
    }

    /// <summary>Embeds <paramref name="texts"/> in consecutive batches of <paramref name="batchSize"/>.</summary>
    public static float[][] InBatches(IReadOnlyList<string> texts, int batchSize, Func<IReadOnlyList<string>, float[][]> embedBatch) =>
        texts.Chunk(batchSize).SelectMany(b => embedBatch(b)).ToArray();

    /// <summary>
    /// Length bucketing done by hand for a batch API (what our transform's cursor does): sort each window of
    /// <paramref name="windowBatches"/> batches by token count, embed in batches, put the results back in row order.
    /// </summary>
    public static float[][] Bucketed(IReadOnlyList<string> texts, int[] lengths, int batchSize, int windowBatches, Func<IReadOnlyList<string>, float[][]> embedBatch)
    {
        var results = new float[texts.Count][];
        for (int start = 0; start < texts.Count; start += batchSize * windowBatches)
        {
            var window = Enumerable.Range(start, Math.Min(batchSize * windowBatches, texts.Count - start)).OrderBy(i => lengths[i]).ToArray();
            foreach (var rows in window.Chunk(batchSize))
            {
                var embedded = embedBatch(rows.Select(i => texts[i]).ToArray());
                for (int j = 0; j < rows.Length; j++) results[rows[j]] = embedded[j];
            }
        }
        return results;
    }

    /// <summary>Relative error ‖a − b‖ / ‖b‖ over all rows, and the largest absolute difference.</summary>
    public static (double Relative, double MaxAbs) Error(float[][] actual, float[][] expected)
    {
        double diff = 0, norm = 0, max = 0;
        for (int i = 0; i < expected.Length; i++)
            for (int j = 0; j < expected[i].Length; j++)
            {
                double d = actual[i][j] - expected[i][j];
                (diff, norm, max) = (diff + d * d, norm + (double)expected[i][j] * expected[i][j], Math.Max(max, Math.Abs(d)));
            }
        return (Math.Sqrt(diff / norm), max);
    }
}
