using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transformers.Transforms;

namespace MLNet.Transformers.Benchmarks;

/// <summary>
/// Batch-1 latency (one sentence per call, as a service scores a request): our transform's PredictionEngine (fp32,
/// bf16), ONNX Runtime called directly (padded to the sentence's own length), and the libtorch-free serving pipeline
/// TokenizeForTransformer → ApplyOnnxModel as a PredictionEngine (fixed shape: padded to 128 tokens).
/// </summary>
internal static class Latency
{
    private sealed class Embedding { public VBuffer<float> E { get; set; } }

    private sealed class Served
    {
        [ColumnName("embedding")] public VBuffer<float> Embedding { get; set; }
    }

    /// <summary>Prints the table; returns summary lines: each path's median latency ÷ ORT fp32's (min–max over rounds) and its ms.</summary>
    public static IEnumerable<string> Run(MLContext ml, string[] sentences, TransformerEmbeddingTransformer fp32, TransformerEmbeddingTransformer bf16,
        OnnxEncoder ortFp32, OnnxEncoder ortInt8, string onnxFp32, string onnxInt8, string vocabulary, int rounds)
    {
        var ours32 = ml.Model.CreatePredictionEngine<InferenceBenchmark.Row, Embedding>(fp32);
        var ours16 = ml.Model.CreatePredictionEngine<InferenceBenchmark.Row, Embedding>(bf16);
        var serving32 = Serving(ml, onnxFp32, vocabulary);
        var serving8 = Serving(ml, onnxInt8, vocabulary);
        var calls = new (string Name, Action<string> Call)[]
        {
            ("ONNX Runtime fp32 (direct)", t => ortFp32.Embed([t])),
            ("ONNX Runtime int8 (direct)", t => ortInt8.Embed([t])),
            ("serving pipeline fp32 (T=128)", t => serving32.Predict(new() { Text = t })),
            ("serving pipeline int8 (T=128)", t => serving8.Predict(new() { Text = t })),
            ("ours fp32 PredictionEngine", t => ours32.Predict(new() { Text = t })),
            ("ours bf16 PredictionEngine", t => ours16.Predict(new() { Text = t })),
        };
        foreach (var (_, call) in calls) call(sentences[0]);   // warm-up
        var times = calls.Select(_ => new List<double>()).ToArray();
        var roundMedians = calls.Select(_ => new List<double>()).ToArray();
        for (int r = 0; r < Math.Max(1, rounds); r++)
        {
            var round = calls.Select(_ => new List<double>()).ToArray();
            foreach (var s in sentences)
                for (int c = 0; c < calls.Length; c++)
                    round[c].Add(Stopwatches.Time(() => calls[c].Call(s)) * 1000);
            for (int c = 0; c < calls.Length; c++) { times[c].AddRange(round[c]); roundMedians[c].Add(Stopwatches.Median(round[c])); }
        }
        Console.WriteLine($"\nbatch-1 latency, {sentences.Length} SST-2 sentences × {rounds} rounds (ms per call)");
        Console.WriteLine($"  {"",-32} {"median",8} {"p90",8} {"÷ ORT fp32 (median)",20}");
        double reference = Stopwatches.Median(times[0]);
        for (int c = 0; c < calls.Length; c++)
        {
            var sorted = times[c].Order().ToArray();
            double median = Stopwatches.Median(sorted);
            Console.WriteLine($"  {calls[c].Name,-32} {median,8:F1} {sorted[(int)(0.9 * (sorted.Length - 1))],8:F1} {median / reference,20:F2}");
        }
        var lines = new List<string>();
        for (int c = 0; c < calls.Length; c++)
        {
            var ratios = roundMedians[c].Zip(roundMedians[0], (t, r) => t / r).ToList();
            lines.Add($"batch-1 latency, {calls[c].Name}: {Stopwatches.Median(roundMedians[c]):F1} ms ({roundMedians[c].Min():F1}–{roundMedians[c].Max():F1}), "
                + $"÷ ORT fp32 {Stopwatches.Median(ratios):F2} ({ratios.Min():F2}–{ratios.Max():F2}; < 1 = faster)");
        }
        return lines;
    }

    private static PredictionEngine<InferenceBenchmark.Row, Served> Serving(MLContext ml, string onnx, string vocabulary)
    {
        string[] inputs = ["input_ids", "attention_mask", "token_type_ids"];
        var empty = ml.Data.LoadFromEnumerable(new[] { new InferenceBenchmark.Row() });
        var model = ml.Transforms.Text.TokenizeForTransformer(vocabulary, "Text", maxSequenceLength: 128)
            .Append(ml.Transforms.ApplyOnnxModel(["embedding"], inputs, onnx, inputs.ToDictionary(n => n, _ => new[] { 1, 128 }),
                gpuDeviceId: null, fallbackToCpu: false))
            .Fit(empty);
        return ml.Model.CreatePredictionEngine<InferenceBenchmark.Row, Served>(model);
    }
}
