using Microsoft.ML;
using Microsoft.ML.Data;

// Usage: dotnet MLNet.Transformers.OnnxServing.dll <model.zip> <output column> <text>...
// Loads a serving pipeline (TokenizeForTransformer → ApplyOnnxModel) with a fresh MLContext, scores the texts and prints
// one line per text: the output vector, round-trip formatted. The first line reports whether a libtorch or LibTorchSharp
// native library is in the output folder or mapped into this process (see the .csproj for why TorchSharp.dll is present).
if (args.Length < 3)
{
    Console.Error.WriteLine("usage: MLNet.Transformers.OnnxServing <model.zip> <output column> <text>...");
    return 2;
}
var mlContext = new MLContext(seed: 1);
ITransformer model = mlContext.Model.Load(args[0], out _);
var data = mlContext.Data.LoadFromEnumerable(args.Skip(2).Select(t => new TextRow { Text = t }));
var scored = model.Transform(data);
var vectors = scored.GetColumn<VBuffer<float>>(args[1]).Select(v => v.DenseValues().ToArray()).ToArray();

static bool IsTorchNative(string path)
{
    string name = Path.GetFileName(path);
    return name.StartsWith("libtorch", StringComparison.Ordinal) || name.Contains("LibTorchSharp", StringComparison.Ordinal)
        || name.StartsWith("libc10", StringComparison.Ordinal) || name.StartsWith("torch_cpu", StringComparison.Ordinal);
}
bool shipped = Directory.EnumerateFiles(AppContext.BaseDirectory, "*", SearchOption.AllDirectories).Any(IsTorchNative);
bool mapped = File.Exists("/proc/self/maps")
    ? File.ReadLines("/proc/self/maps").Any(l => l.Contains('/') && IsTorchNative(l[l.IndexOf('/')..]))
    : System.Diagnostics.Process.GetCurrentProcess().Modules.Cast<System.Diagnostics.ProcessModule>().Any(m => IsTorchNative(m.FileName));
Console.WriteLine($"libtorch shipped={shipped} loaded={mapped}");
foreach (var v in vectors)
    Console.WriteLine(string.Join(" ", v.Select(x => x.ToString("R", System.Globalization.CultureInfo.InvariantCulture))));
return 0;

internal sealed class TextRow { public string Text { get; set; } = ""; }
