// Benchmarks, each reporting ratios measured side by side in one run (the machine is shared and noisy):
//   dotnet run -c Release --project bench/MLNet.Transformers.Benchmarks -- embedding [rounds] [sentences]
//   dotnet run -c Release --project bench/MLNet.Transformers.Benchmarks -- pretraining [steps]
//   dotnet run -c Release --project bench/MLNet.Transformers.Benchmarks -- finetuning [steps per round] [batch] [rounds]
//   dotnet run -c Release --project bench/MLNet.Transformers.Benchmarks -- qa [questions] [rounds]
//   dotnet run -c Release --project bench/MLNet.Transformers.Benchmarks -- generation [steps]
//   dotnet run -c Release --project bench/MLNet.Transformers.Benchmarks -- inference [quick] [rounds] [sst2 sentences] [fixed|sst2|latency|classifier]... [classifier=PATH]
//   dotnet run -c Release --project bench/MLNet.Transformers.Benchmarks -- forward [fp32|bf16] [batch] [seconds] [ab]
//   dotnet run -c Release --project bench/MLNet.Transformers.Benchmarks -- t5 [steps] [lengths]
//   dotnet run -c Release --project bench/MLNet.Transformers.Benchmarks -- pytorch [steps per round] [rounds] [rows] [fp32] [model=DIR] [python=PATH]
//   dotnet run -c Release --project bench/MLNet.Transformers.Benchmarks -- accuracy [pairs] [bf16] [model=DIR]
using MLNet.Transformers.Benchmarks;

var rest = args.Skip(1).ToArray();
BenchReport.PrintHost();   // results differ by host kind (AVX2 vs AVX512-BF16/AMX): every run says which one it ran on
switch (args.FirstOrDefault() ?? "embedding")
{
    case "embedding": EmbeddingBenchmark.Run(rest); break;
    case "pretraining": PretrainingBenchmark.Run(rest); break;
    case "finetuning": FineTuningBenchmark.Run(rest); break;
    case "qa": QaBenchmark.Run(rest); break;
    case "generation": GenerationBenchmark.Run(rest); break;
    case "inference": InferenceBenchmark.Run(rest); break;
    case "forward": ForwardBenchmark.Run(rest); break;
    case "t5": T5Benchmark.Run(rest); break;
    case "pytorch": PyTorchFineTuningBenchmark.Run(rest); break;
    case "accuracy": PrecisionAccuracyBenchmark.Run(rest); break;
    default: Console.Error.WriteLine("usage: [embedding [rounds] [sentences] | pretraining [steps] | finetuning [steps] [batch] [rounds] | qa [questions] [rounds] | generation [steps] | inference [quick] [rounds] [sst2 sentences] | forward [fp32|bf16] [batch] [seconds] [ab] | t5 [steps] [lengths] | pytorch [steps] [rounds] [rows] [fp32] [model=DIR] [python=PATH] | accuracy [pairs] [bf16] [model=DIR]]"); return 2;
}
return 0;
