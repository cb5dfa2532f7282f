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

    public static void Run(MLContext ml, string[] sentences, TransformerEmbeddingTransformer fp32, TransformerEmbeddingTransformer bf16,
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
        for (int r = 0; r < rounds; r++)
            foreach (var s in sentences)
                for (int c = 0; c < calls.Length; c++)
                    times[c].Add(Stopwatches.Time(() => calls[c].Call(s)) * 1000);
        Console.WriteLine($"\nbatch-1 latency, {sentences.Length} SST-2 sentences × {rounds} rounds (ms per call)");
        Console.WriteLine($"  {"",-32} {"median",8} {"p90",8} {"÷ ORT fp32 (median)",20}");
        double reference = Stopwatches.Median(times[0]);
        for (int c = 0; c < calls.Length; c++)
        {
            var sorted = times[c].Order().ToArray();
            double median = Stopwatches.Median(sorted);
            Console.WriteLine($"  {calls[c].Name,-32} {median,8:F1} {sorted[(int)(0.9 * (sorted.Length - 1))],8:F1} {median / reference,20:F2}");
        }
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
