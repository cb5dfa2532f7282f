/// <summary>Pearson and Spearman correlation, the STS-B metrics (GLUE reports both); shared by the examples, the benchmarks and the tests.</summary>
internal static class Correlation
{
    public static double Pearson(IReadOnlyList<float> x, IReadOnlyList<float> y)
    {
        if (x.Count != y.Count) throw new ArgumentException($"{x.Count} predictions for {y.Count} gold scores.");
        double mx = x.Average(v => (double)v), my = y.Average(v => (double)v), sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < x.Count; i++)
        {
            double dx = x[i] - mx, dy = y[i] - my;
            sxy += dx * dy; sxx += dx * dx; syy += dy * dy;
        }
        return sxy / Math.Sqrt(sxx * syy);
    }

    /// <summary>Pearson of the ranks (ties get their average rank).</summary>
    public static double Spearman(IReadOnlyList<float> x, IReadOnlyList<float> y) => Pearson(Ranks(x), Ranks(y));

    private static float[] Ranks(IReadOnlyList<float> values)
    {
        var order = Enumerable.Range(0, values.Count).OrderBy(i => values[i]).ToArray();
        var ranks = new float[values.Count];
        for (int start = 0; start < order.Length;)
        {
            int end = start;
            while (end + 1 < order.Length && values[order[end + 1]] == values[order[start]]) end++;
            for (int k = start; k <= end; k++) ranks[order[k]] = (start + end) / 2f + 1;
            start = end + 1;
        }
        return ranks;
    }
}
