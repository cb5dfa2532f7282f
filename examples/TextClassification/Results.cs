/// <summary>Which kind of model a row of the results is: drawn in its own colour in the chart.</summary>
internal enum Kind { Ours, Frozen, MLNet }

/// <summary>One row of the table: a task, a model, the metric's name and value (and Spearman for similarity rows).</summary>
internal sealed record Result(string Task, string Model, Kind Kind, string Metric, double Value, double? Spearman = null)
{
    /// <summary>Accuracy in percent; correlations as they are, with Spearman beside Pearson.</summary>
    public string Display => Metric == "accuracy" ? $"{Value:P1}" : $"{Value:F3} (Spearman {Spearman:F3})";

    /// <summary>The bar length in the chart: percent for accuracy, 100 × r for correlations.</summary>
    public double Percent => Value * 100;
}
