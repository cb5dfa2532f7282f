using System.Diagnostics;

namespace MLNet.Transformers.Benchmarks;

/// <summary>Timing helpers. The machine is shared and noisy, so we interleave the contenders and report medians.</summary>
internal static class Stopwatches
{
    /// <summary>Runs <paramref name="action"/> once and returns the elapsed seconds.</summary>
    public static double Time(Action action)
    {
        var sw = Stopwatch.StartNew();
        action();
        return sw.Elapsed.TotalSeconds;
    }

    /// <summary>The median of <paramref name="values"/>.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
