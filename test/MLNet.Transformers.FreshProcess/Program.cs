using Microsoft.ML;
using MLNet.Transformers.FreshProcess;

// Usage: dotnet MLNet.Transformers.FreshProcess.dll <model.zip> [--vector COLUMN | --keys COLUMN]
// Loads the model with a fresh MLContext and prints one line per sample row (see ProbeData.Format), or, with --vector,
// the float vector column COLUMN of each row (round-trip format), with --keys its key vector, or with --column any
// text/float/int (vector) column, one escaped line per row — for any of the library's transformers.
// Reliability probes: --concurrency CHECKPOINT_DIR, --mlm-losses WIKITEXT_FILE (see ReliabilityProbes); --hub-download (HubDownloadProbe).
if (ReliabilityProbes.TryRun(args, out int probeExit))
    return probeExit;
if (HubDownloadProbe.TryRun(args, out int hubExit))
    return hubExit;
if (args.Length is not (1 or 3) || (args.Length == 3 && args[1] is not ("--vector" or "--keys" or "--column")))
{
    Console.Error.WriteLine("usage: MLNet.Transformers.FreshProcess <model.zip> [--vector COLUMN | --keys COLUMN | --column COLUMN]");
    return 2;
}
var mlContext = new MLContext(seed: 1);
ITransformer model = mlContext.Model.Load(args[0], out _);
var lines = args.Length == 1 ? ProbeData.Format(model.Transform(ProbeData.Sample(mlContext)))
    : args[1] == "--keys" ? ProbeData.FormatKeys(model.Transform(ProbeData.Sample(mlContext)), args[2])
    : args[1] == "--column" ? ProbeColumns.Format(model.Transform(ProbeData.Sample(mlContext)), args[2])
    : ProbeData.FormatVector(model.Transform(ProbeData.Sample(mlContext)), args[2]);
foreach (string line in lines)
    Console.WriteLine(line);
return 0;
