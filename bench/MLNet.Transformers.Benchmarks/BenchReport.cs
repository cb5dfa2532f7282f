using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using MLNet.Transformers.Inference;

namespace MLNet.Transformers.Benchmarks;

/// <summary>
/// What every benchmark prints first — the host's CPU, ISA flags and what <see cref="Precision.Auto"/> picks there — and the
/// summary written as JSON beside the printed table (<c>bench-results/NAME-HOST-UTC.json</c> in the working directory), so
/// runs on different host kinds can be put side by side (README keeps one table per host kind, dated).
/// </summary>
internal static partial class BenchReport
{
    /// <summary>The host line, e.g. "host: AMD EPYC 9B14; avx2 fma avx512f … → Auto = BFloat16 (the CPU has AVX512-BF16); 2 CPUs, torch threads 2".</summary>
    public static string HostLine =>
        $"host: {HostPrecision.Describe()}; {Environment.ProcessorCount} logical CPUs, torch threads {TorchSharp.torch.get_num_threads()}";

    public static void PrintHost() => Console.WriteLine(HostLine);

    /// <summary>
    /// Writes <paramref name="summary"/> (the printed summary lines; "what: 1.23× (1.01–1.50)" lines are also split into
    /// median/min/max) and <paramref name="details"/> to a JSON file and prints its path.
    /// </summary>
    public static string WriteJson(string benchmark, IEnumerable<string> summary, int rounds, JsonObject? details = null)
    {
        var lines = summary.ToList();
        var ratios = new JsonArray();
        foreach (var line in lines)
            if (RatioLine().Match(line) is { Success: true } m)
                ratios.Add(new JsonObject
                {
                    ["what"] = m.Groups["what"].Value, ["median"] = double.Parse(m.Groups["median"].Value),
                    ["min"] = double.Parse(m.Groups["min"].Value), ["max"] = double.Parse(m.Groups["max"].Value),
                });
        string isa = HostPrecision.CpuDescription;
        string model = isa[..Math.Max(0, isa.IndexOf(';'))];
        var json = new JsonObject
        {
            ["benchmark"] = benchmark,
            ["utc"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ"),
            ["host"] = new JsonObject
            {
                ["cpu"] = model, ["isa"] = isa, ["auto_precision"] = HostPrecision.Resolve(Precision.Auto).ToString(),
                ["auto_engine"] = HostPrecision.AutoRunsOnnxRuntime ? "onnxruntime (embedding, sequence classifiers), libtorch (others)" : "libtorch",
                ["logical_cpus"] = Environment.ProcessorCount, ["torch_threads"] = TorchSharp.torch.get_num_threads(),
            },
            ["rounds"] = rounds,
            ["summary"] = new JsonArray(lines.Select(l => (JsonNode?)l).ToArray()),
            ["ratios"] = ratios,
        };
        if (details is not null) json["details"] = details;
        Directory.CreateDirectory("bench-results");
        string cpu = Regex.Replace(model, "[^A-Za-z0-9]+", "-").Trim('-');
        string path = Path.GetFullPath(Path.Combine("bench-results", $"{benchmark}-{cpu}-{DateTime.UtcNow:yyyyMMdd-HHmmss}.json"));
        File.WriteAllText(path, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        Console.WriteLine($"summary written to {path}");
        return path;
    }

    // The format of InferenceBenchmark.Ratio: "what: 1.23× (1.01–1.50)".
    [GeneratedRegex(@"^(?<what>.*): (?<median>[0-9.]+)× \((?<min>[0-9.]+)–(?<max>[0-9.]+)\)$")]
    private static partial Regex RatioLine();
}
