using Microsoft.ML;
using MLNet.Transformers.FreshProcess;

// Usage: dotnet MLNet.Transformers.FreshProcess.dll <model.zip> [--vector COLUMN | --keys COLUMN]
// Loads the model with a fresh MLContext and prints one line per sample row (see ProbeData.Format), or, with --vector,
// the float vector column COLUMN of each row (round-trip format), or with --keys its key vector, for any of the library's transformers.
if (args.Length is not (1 or 3) || (args.Length == 3 && args[1] is not ("--vector" or "--keys")))
{
    Console.Error.WriteLine("usage: MLNet.Transformers.FreshProcess <model.zip> [--vector COLUMN | --keys COLUMN]");
    return 2;
}
var mlContext = new MLContext(seed: 1);
ITransformer model = mlContext.Model.Load(args[0], out _);
var lines = args.Length == 1 ? ProbeData.Format(model.Transform(ProbeData.Sample(mlContext)))
    : args[1] == "--keys" ? ProbeData.FormatKeys(model.Transform(ProbeData.Sample(mlContext)), args[2])
    : ProbeData.FormatVector(model.Transform(ProbeData.Sample(mlContext)), args[2]);
foreach (string line in lines)
    Console.WriteLine(line);
return 0;
