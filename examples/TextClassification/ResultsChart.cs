using ScottPlot;

/// <summary>The results as horizontal bars (one per row, first at the top), coloured by kind of model, with value labels.</summary>
internal static class ResultsChart
{
    private static readonly Dictionary<Kind, (Color Color, string Legend)> Styles = new()
    {
        [Kind.Ours] = (Colors.SteelBlue, "fine-tuned with MLNet.Transformers"),
        [Kind.Frozen] = (Colors.Orange, "frozen pretrained embeddings"),
        [Kind.MLNet] = (Colors.Gray, "ML.NET / simple baseline"),
    };

    /// <summary>Writes the chart to <paramref name="file"/> and returns its full path.</summary>
    public static string Save(IReadOnlyList<Result> results, string title, string file)
    {
        var plot = new Plot();
        var bars = results.Select((r, i) => new Bar
        {
            Position = results.Count - 1 - i,
            Value = r.Percent,
            FillColor = Styles[r.Kind].Color,
            Label = r.Metric == "accuracy" ? $"{r.Percent:F1}%" : $"r = {r.Value:F3}",
        }).ToList();
        var plottable = plot.Add.Bars(bars);
        plottable.Horizontal = true;
        plottable.ValueLabelStyle.FontSize = 14;
        plot.Axes.Left.SetTicks(bars.Select(b => b.Position).ToArray(), results.Select(r => $"{r.Task}: {r.Model}").ToArray());
        plot.Axes.Left.TickLabelStyle.FontSize = 13;
        plot.XLabel("accuracy (%) · STS-B: Pearson r × 100");
        plot.Axes.SetLimitsX(0, 110);
        plot.Title(title);
        foreach (var (color, legend) in Styles.Values) plot.Legend.ManualItems.Add(new LegendItem { LabelText = legend, FillColor = color });
        plot.ShowLegend(Edge.Bottom);
        var path = Path.GetFullPath(file);
        plot.SavePng(path, 1300, 160 + 45 * results.Count);
        return path;
    }
}
