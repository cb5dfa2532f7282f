using Microsoft.ML;
using MLNet.Transformers.Transforms;

namespace MLNet.Transformers.Benchmarks;

/// <summary>
/// What each scoring precision does to a real model's task, on this host's own kernels:
///   dotnet run -c Release --project bench/MLNet.Transformers.Benchmarks -- accuracy [pairs] [bf16] [model=DIR]
/// all-MiniLM-L6-v2 sentence vectors (the folder's mean pooling + L2) for STS-B dev pairs (default all 1,500): the Spearman
/// correlation of each pair's cosine with the gold score, and each precision's vectors against fp32 (relative error, lowest
/// cosine), for <see cref="Precision.Float32"/>, <see cref="Precision.Auto"/> (which engine it picked here),
/// <see cref="Precision.Int8"/> and, with <c>bf16</c> or on a host with fast bf16, <see cref="Precision.BFloat16"/>.
/// To check the AVX2 kernels on a host that has AVX-512, run the built benchmark under user-mode QEMU with a CPU model that
/// lacks it (CPUID then says AVX2 only, so <c>Auto</c> and ONNX Runtime pick their AVX2 paths; timings are meaningless there;
/// CoreCLR's background GC thread crashes under qemu-user, hence <c>DOTNET_gcConcurrent=0</c>):
///   DOTNET_gcConcurrent=0 qemu-x86_64 -cpu max $(command -v dotnet) bench/MLNet.Transformers.Benchmarks/bin/Release/net10.0/MLNet.Transformers.Benchmarks.dll accuracy 200
/// </summary>
internal static class PrecisionAccuracyBenchmark
{
    public static void Run(string[] args)
    {
        string? Named(string key) => args.FirstOrDefault(a => a.StartsWith(key + "=", StringComparison.Ordinal))?[(key.Length + 1)..];
        var numbers = args.Where(a => int.TryParse(a, out _)).Select(int.Parse).ToArray();
        string? folder = Named("model") ?? MiniLMCheckpoint.Folder("accuracy");
        if (folder is null) return;
        var data = Path.Combine(AppContext.BaseDirectory, "data");
        var pairs = File.ReadLines(Path.Combine(data, "stsb-dev.tsv")).Skip(1).Take(numbers.Length > 0 ? numbers[0] : int.MaxValue)
            .Select(l => l.Split('\t'))
            .Select(p => (A: p[7], B: p[8], Score: double.Parse(p[9], System.Globalization.CultureInfo.InvariantCulture))).ToArray();
        var precisions = new List<Precision> { Precision.Float32, Precision.Auto, Precision.Int8 };
        if (args.Contains("bf16") || Inference.HostPrecision.HasFastBf16) precisions.Insert(1, Precision.BFloat16);
        Console.WriteLine($"accuracy: {Path.GetFileName(folder)}, {pairs.Length} STS-B dev pairs, precisions {string.Join(", ", precisions)}");

        var ml = new MLContext(seed: 1);
        var empty = ml.Data.LoadFromEnumerable(new[] { new { Text = "" } });
        float[][]? reference = null;
        var summary = new List<string>();
        foreach (var precision in precisions)
        {
            using var transformer = ml.Transforms.Text.TransformerEmbedding(folder,
                new TransformerEmbeddingSettings("E", "Text", null, EmbeddingPooling.Default, 128, 32, Precision: precision)).Fit(empty);
            string engine = transformer.OnnxEngine is { } onnx ? onnx.IsInt8 ? "ONNX Runtime int8" : "ONNX Runtime fp32"
                : $"libtorch {Inference.HostPrecision.Resolve(precision)}";
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var (a, b) = (transformer.Embed(pairs.Select(p => p.A).ToArray()), transformer.Embed(pairs.Select(p => p.B).ToArray()));
            double seconds = clock.Elapsed.TotalSeconds;
            var vectors = a.Concat(b).ToArray();
            reference ??= vectors;
            double spearman = Correlation.Spearman(a.Zip(b, (u, v) => (float)Cosine(u, v)).ToArray(), pairs.Select(p => (float)p.Score).ToArray());
            double squared = vectors.Zip(reference, (v, r) => v.Zip(r, (x, y) => (double)(x - y) * (x - y)).Sum()).Sum();
            double relative = Math.Sqrt(squared / reference.Sum(r => r.Sum(x => (double)x * x)));
            string line = $"{precision} ({engine}): STS-B dev Spearman {spearman:F4}; vectors vs fp32 {relative:E2} relative, lowest cosine {vectors.Zip(reference, Cosine).Min():F4}";
            Console.WriteLine($"  {line}  [{seconds:F1} s]");
            summary.Add(line);
        }
        BenchReport.WriteJson("accuracy", summary, rounds: 1);
    }

    private static double Cosine(float[] x, float[] y) =>
        x.Zip(y, (a, b) => (double)a * b).Sum() / Math.Sqrt(x.Sum(a => (double)a * a) * y.Sum(b => (double)b * b));
}
