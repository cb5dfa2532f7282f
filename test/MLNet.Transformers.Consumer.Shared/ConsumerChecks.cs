using System.Globalization;
using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transformers;

namespace MLNet.Transformers.Consumer;

/// <summary>
/// What an application on a given Microsoft.ML does with the library, through public API only: cross-validate a text
/// classifier, fit it, save it, load it with a fresh MLContext, and score through the loaded model and a PredictionEngine.
/// Each step prints one line; a mismatch throws (the process exits non-zero and the test shows the message).
/// </summary>
public static class ConsumerChecks
{
    public sealed class Review
    {
        public string Text { get; set; } = "";
        public string Label { get; set; } = "";
    }

    public sealed class Prediction
    {
        public string PredictedLabel { get; set; } = "";
        public float[] Score { get; set; } = [];
    }

    private static readonly Review[] Reviews =
    [
        new() { Text = "a wonderful film", Label = "pos" }, new() { Text = "dull and far too long", Label = "neg" },
        new() { Text = "great acting", Label = "pos" }, new() { Text = "i hated it", Label = "neg" },
        new() { Text = "lovely and warm", Label = "pos" }, new() { Text = "a boring mess", Label = "neg" },
        new() { Text = "the best this year", Label = "pos" }, new() { Text = "awful script", Label = "neg" },
    ];

    /// <summary>The Microsoft.ML this process runs on (informational version of Microsoft.ML.Data).</summary>
    public static string MLNetVersion =>
        typeof(MLContext).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion.Split('+')[0];

    /// <summary>Runs every check with the BERT checkpoint folder <paramref name="checkpoint"/>, writing the model under <paramref name="workDirectory"/>.</summary>
    public static void Run(string checkpoint, string workDirectory)
    {
        Console.WriteLine($"Microsoft.ML {MLNetVersion}");
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Reviews);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.TextClassification(checkpointDirectory: checkpoint, sentence1ColumnName: "Text",
                batchSize: 4, maxEpochs: 1))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));

        var folds = ml.MulticlassClassification.CrossValidate(data, pipeline, numberOfFolds: 2);
        if (folds.Count != 2 || folds.Any(f => f.Metrics.MicroAccuracy is < 0 or > 1))
            throw new InvalidOperationException($"CrossValidate returned {folds.Count} folds: {string.Join(", ", folds.Select(f => f.Metrics.MicroAccuracy))}");
        Console.WriteLine($"CrossValidate: {folds.Count} folds");

        using var model = pipeline.Fit(data);
        string path = Path.Combine(workDirectory, "model.zip");
        ml.Model.Save(model, data.Schema, path);
        float[][] before = Scores(model.Transform(data));

        var fresh = new MLContext(seed: 2);
        ITransformer loaded = fresh.Model.Load(path, out var inputSchema);
        if (inputSchema.GetColumnOrNull("Text") is null) throw new InvalidOperationException("the saved input schema lost column Text");
        float[][] after = Scores(loaded.Transform(fresh.Data.LoadFromEnumerable(Reviews)));
        AssertSame(before, after, "Model.Load");
        Console.WriteLine("Save/Load: same scores");

        var engine = fresh.Model.CreatePredictionEngine<Review, Prediction>(loaded);
        for (int i = 0; i < Reviews.Length; i++)
        {
            var p = engine.Predict(new Review { Text = Reviews[i].Text });
            AssertSame([before[i]], [p.Score], $"PredictionEngine row {i}");
            if (p.PredictedLabel is not ("pos" or "neg")) throw new InvalidOperationException($"PredictionEngine predicted '{p.PredictedLabel}'");
        }
        Console.WriteLine("PredictionEngine: same scores");
        engine.Dispose();
        (loaded as IDisposable)?.Dispose();   // deletes the checkpoint copy the load restored to a temporary folder
    }

    private static float[][] Scores(IDataView scored) => scored.GetColumn<float[]>("Score").ToArray();

    private static void AssertSame(float[][] expected, float[][] actual, string what)
    {
        if (expected.Length != actual.Length) throw new InvalidOperationException($"{what}: {actual.Length} rows, expected {expected.Length}");
        for (int i = 0; i < expected.Length; i++)
            for (int j = 0; j < expected[i].Length; j++)
                if (Math.Abs(expected[i][j] - actual[i][j]) > 1e-5f)
                    throw new InvalidOperationException($"{what}: row {i} score {j} is {actual[i][j].ToString("R", CultureInfo.InvariantCulture)}, " +
                        $"expected {expected[i][j].ToString("R", CultureInfo.InvariantCulture)}");
    }
}
