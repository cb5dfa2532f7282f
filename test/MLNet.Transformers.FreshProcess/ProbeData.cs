using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Transformers.FreshProcess;

/// <summary>The sample rows and the output formatting shared by the tests and the fresh process.</summary>
public static class ProbeData
{
    public sealed class Row
    {
        public string Text { get; set; } = "";
        public string Text2 { get; set; } = "";
        public float Id { get; set; }
    }

    public static readonly Row[] Rows =
    [
        new() { Text = "the cat sat", Text2 = "on the mat", Id = 0 },
        new() { Text = "", Text2 = "only second", Id = 1 },
        new() { Text = "naïve café – ünïcode", Text2 = "", Id = 2 },
        new() { Text = "one", Text2 = "two three four", Id = 3 },
        new() { Text = "  spaced   out  ", Text2 = "x", Id = 4 },
    ];

    public static IDataView Sample(MLContext mlContext) => mlContext.Data.LoadFromEnumerable(Rows);

    /// <summary>One line per row: every float of column "Stats" (round-trip format) and "StatsSummary".</summary>
    public static IEnumerable<string> Format(IDataView data)
    {
        var stats = data.GetColumn<float[]>("Stats").ToList();
        var summary = data.GetColumn<string>("StatsSummary").ToList();
        for (int i = 0; i < stats.Count; i++)
            yield return string.Join(" ", stats[i].Select(v => v.ToString("R", CultureInfo.InvariantCulture))) + " | " + summary[i];
    }

    /// <summary>One line per row: every float of the vector column <paramref name="column"/> (round-trip format).</summary>
    public static IEnumerable<string> FormatVector(IDataView data, string column) =>
        data.GetColumn<float[]>(column).Select(v => string.Join(" ", v.Select(x => x.ToString("R", CultureInfo.InvariantCulture))));

    /// <summary>One line per row: the keys of the key-vector column <paramref name="column"/> (e.g. per-word tags).</summary>
    public static IEnumerable<string> FormatKeys(IDataView data, string column) =>
        data.GetColumn<VBuffer<uint>>(column).Select(v => string.Join(" ", v.DenseValues()));
}
