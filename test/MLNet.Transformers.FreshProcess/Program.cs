using Microsoft.ML;
using MLNet.Transformers.FreshProcess;

// Usage: dotnet MLNet.Transformers.FreshProcess.dll <model.zip>
// Loads the model with a fresh MLContext and prints one line per sample row (see ProbeData.Format).
if (args.Length != 1)
{
    Console.Error.WriteLine("usage: MLNet.Transformers.FreshProcess <model.zip>");
    return 2;
}
var mlContext = new MLContext(seed: 1);
ITransformer model = mlContext.Model.Load(args[0], out _);
foreach (string line in ProbeData.Format(model.Transform(ProbeData.Sample(mlContext))))
    Console.WriteLine(line);
return 0;
