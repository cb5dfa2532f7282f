using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Transformers.Benchmarks;

/// <summary>
/// Does lower precision change decisions? A logistic-regression probe is trained on the fp32 sentence vectors with the
/// SST-2 labels, then asked to classify each precision's vectors of the same sentences; agreement = share of identical
/// predicted labels. (A stand-in for a fine-tuned classifier: the benchmark's encoder has random weights.)
/// </summary>
internal static class Probe
{
    private sealed class Row
    {
        public bool Label { get; set; }
        [VectorType] public float[] Features { get; set; } = [];
    }

    private sealed class Prediction { public bool PredictedLabel { get; set; } }

    public static Func<float[][], double> TrainOnFp32(float[][] fp32, bool[] labels)
    {
        var ml = new MLContext(seed: 1);
        IDataView View(float[][] x) => ml.Data.LoadFromEnumerable(x.Select((f, i) => new Row { Label = labels[i], Features = f }),
            SchemaDefinition.Create(typeof(Row)).Also(s => s[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, fp32[0].Length)));
        var model = ml.Transforms.NormalizeMeanVariance("Features")
            .Append(ml.BinaryClassification.Trainers.LbfgsLogisticRegression())
            .Fit(View(fp32));
        bool[] Predict(float[][] x) => ml.Data.CreateEnumerable<Prediction>(model.Transform(View(x)), reuseRowObject: false).Select(p => p.PredictedLabel).ToArray();
        var reference = Predict(fp32);
        return other => Predict(other).Zip(reference, (a, b) => a == b).Count(x => x) / (double)reference.Length;
    }

    private static T Also<T>(this T value, Action<T> action) { action(value); return value; }
}
