using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using MLNet.Transformers.Inference;
using MLNet.Transformers.Models;
using MLNet.Transformers.Models.Bert;
using MLNet.Transformers.Training;
using static TorchSharp.torch;

namespace MLNet.Transformers.Benchmarks;

/// <summary>
/// Fine-tuning speed against the peer users would otherwise use, PyTorch eager (issue 21):
///   dotnet run -c Release --project bench/MLNet.Transformers.Benchmarks -- pytorch [steps per round] [rounds] [rows] [fp32] [model=DIR] [python=PATH]
/// The same BERT (all-MiniLM-L6-v2 by default, with a fresh 2-class head saved once so both start from the same weights), the
/// same batches (SST-2 train rows shuffled with seed 1, 32 per batch, each padded to its longest row ≤ 64 tokens, written to a
/// JSON file bench/pytorch/finetune_bert.py reads), AdamW, clipping at 1.0, dropout on, the same thread count. Per round:
/// our Trainer in fp32, PyTorch in fp32, and — where the CPU has a fast bf16 GEMM — both in bf16 (our bf16 mixed precision,
/// PyTorch's CPU autocast; <c>fp32</c> skips bf16). Both count training steps only: one untimed pass over every batch (so no shape is met for the first time while timed), then the batches after the first 2 again, timed. Reports examples/s, our ÷ PyTorch (median,
/// min–max over rounds) and the fraction of each process's own matmul peak (same shape: batch·T × hidden · hidden × 4·hidden).
/// Skipped with a message where no python3 imports torch (Debian: apt-get install python3-torch libopenblas0-pthread).
/// </summary>
internal static class PyTorchFineTuningBenchmark
{
    private const int BatchSize = 32, MaxLength = 64, WarmupSteps = 2;
    private static readonly string Script = Path.Combine(AppContext.BaseDirectory, "pytorch", "finetune_bert.py");

    public static void Run(string[] args)
    {
        var numbers = args.Where(a => !a.Contains('=') && a != "fp32").Select(int.Parse).ToArray();
        int steps = numbers.Length > 0 ? numbers[0] : 20, rounds = numbers.Length > 1 ? numbers[1] : 3;
        int rows = numbers.Length > 2 ? numbers[2] : (WarmupSteps + steps) * BatchSize;
        string? Named(string key) => args.FirstOrDefault(a => a.StartsWith(key + "=", StringComparison.Ordinal))?[(key.Length + 1)..];
        string? python = FindPython(Named("python"));
        if (python is null)
        {
            Console.WriteLine("pytorch: skipped — no python3 here imports torch (Debian: apt-get install -y python3-torch libopenblas0-pthread; " +
                "note that a pyenv python3 on PATH does not see Debian's packages: pass python=/usr/bin/python3).");
            return;
        }
        string? model = Named("model") ?? MiniLMCheckpoint.Folder("pytorch");
        if (model is null) return;
        int threads = get_num_threads();
        bool bf16 = HostPrecision.HasFastBf16 && !args.Contains("fp32");
        Console.WriteLine($"pytorch fine-tuning comparison: model {model}, batch {BatchSize}, T ≤ {MaxLength}, {steps} timed steps per round " +
            $"after an untimed pass over all {WarmupSteps + steps} batches, {rounds} rounds, threads {threads}, python {python}; precisions fp32{(bf16 ? " and bf16" : HostPrecision.HasFastBf16 ? " (bf16 skipped)" : " (no fast bf16 on this CPU)")}");
        Console.WriteLine("The machine may be shared with other jobs: absolute rates are noisy; the ratios are measured side by side.");

        using var work = new TemporaryFolder();
        var batches = SstBatches(model, rows).Take(WarmupSteps + steps).ToArray();
        if (batches.Length < WarmupSteps + 1) throw new InvalidOperationException($"{rows} rows make {batches.Length} batches; ask for more rows.");
        string batchFile = Path.Combine(work.Path, "batches.json");
        WriteBatches(batchFile, batches);
        string start = Path.Combine(work.Path, "start");
        manual_seed(1);
        using (var initial = EncoderCheckpoint.LoadForSequenceClassification(model, numLabels: 2))
            initial.SaveCheckpoint(start, new ClassifierLabels(["negative", "positive"]));

        var config = BertCheckpoint.ReadConfig(start);
        var timed = batches.Skip(WarmupSteps).ToArray();
        double meanTokens = timed.Average(b => b.Length);
        double flopsPerExample = 3 * timed.Average(b => Flops.BertForwardPerSequence(config, b.Length));   // forward + backward ≈ 3× forward
        var precisions = bf16 ? new[] { false, true } : [false];
        var ours = precisions.ToDictionary(p => p, _ => new List<(double Rate, double Peak)>());
        var theirs = precisions.ToDictionary(p => p, _ => new List<(double Rate, double Peak)>());
        double[]? ourLosses = null, theirLosses = null;
        for (int round = 0; round < rounds; round++)
            foreach (bool b in precisions)
            {
                string name = b ? "bf16" : "fp32";
                double peak = Flops.MatmulGflops(b ? ScalarType.BFloat16 : ScalarType.Float32, (int)(BatchSize * meanTokens), config.HiddenSize, config.IntermediateSize);
                var (rate, losses) = TrainOurs(start, batches, b);
                ours[b].Add((rate, peak));
                var py = RunPyTorch(python, start, batchFile, threads, b);
                theirs[b].Add((py.Rate, py.Peak));
                if (round == 0 && !b) (ourLosses, theirLosses) = (losses, py.Losses);
                Console.WriteLine($"round {round + 1} {name}: ours {rate:F2} examples/s ({rate * flopsPerExample / 1e9 / peak:P0} of matmul {peak:F0} GFLOP/s), " +
                    $"PyTorch {py.Torch} {py.Rate:F2} examples/s ({py.Rate * flopsPerExample / 1e9 / py.Peak:P0} of its matmul {py.Peak:F0} GFLOP/s)");
            }

        Console.WriteLine($"\nfirst round fp32 losses (same batches and start; dropout masks differ): ours {Losses(ourLosses)}; PyTorch {Losses(theirLosses)}");
        var summary = new List<string>();
        var details = new JsonObject
        {
            ["model"] = model, ["batch_size"] = BatchSize, ["max_length"] = MaxLength, ["mean_padded_length"] = meanTokens,
            ["timed_steps"] = steps, ["warmup_steps"] = WarmupSteps, ["threads"] = threads, ["flops_per_example"] = flopsPerExample,
        };
        foreach (bool b in precisions)
        {
            string name = b ? "bf16" : "fp32";
            var ratios = ours[b].Zip(theirs[b], (o, t) => o.Rate / t.Rate).ToList();
            double Median(IEnumerable<double> v) => Stopwatches.Median(v);
            double ourRate = Median(ours[b].Select(r => r.Rate)), theirRate = Median(theirs[b].Select(r => r.Rate));
            double ourFraction = Median(ours[b].Select(r => r.Rate * flopsPerExample / 1e9 / r.Peak));
            double theirFraction = Median(theirs[b].Select(r => r.Rate * flopsPerExample / 1e9 / r.Peak));
            Console.WriteLine($"{name}: ours {ourRate:F2} examples/s ({ourFraction:P0} of our matmul peak), PyTorch {theirRate:F2} ({theirFraction:P0} of its peak)");
            summary.Add($"fine-tuning {name}: ours ÷ PyTorch eager: {Median(ratios):F2}× ({ratios.Min():F2}–{ratios.Max():F2})");
            details[name] = new JsonObject
            {
                ["ours_examples_per_second"] = new JsonArray(ours[b].Select(r => (JsonNode?)r.Rate).ToArray()),
                ["pytorch_examples_per_second"] = new JsonArray(theirs[b].Select(r => (JsonNode?)r.Rate).ToArray()),
                ["ours_matmul_gflops"] = new JsonArray(ours[b].Select(r => (JsonNode?)r.Peak).ToArray()),
                ["pytorch_matmul_gflops"] = new JsonArray(theirs[b].Select(r => (JsonNode?)r.Peak).ToArray()),
                ["ours_fraction_of_peak"] = ourFraction, ["pytorch_fraction_of_peak"] = theirFraction,
            };
        }
        Console.WriteLine($"\nsummary ({rounds} round(s); median, min–max of the per-round ratio; > 1 = faster than PyTorch):");
        foreach (var line in summary) Console.WriteLine("  " + line);
        BenchReport.WriteJson("pytorch-finetuning", summary, rounds, details);
    }

    /// <summary>One pre-tokenized batch: ids and mask (B, T) row-major, labels (B).</summary>
    private sealed record Batch(long[] Ids, long[] Mask, long[] Labels, int Length)
    {
        public int Size => Labels.Length;
    }

    private static IEnumerable<Batch> SstBatches(string model, int rows)
    {
        var tokenizer = EncoderCheckpoint.LoadTokenizer(model);
        var sst = File.ReadLines(Path.Combine(AppContext.BaseDirectory, "data", "sst2-train.tsv")).Skip(1).Select(l => l.Split('\t'))
            .Select(p => (Text: p[0].Trim(), Label: long.Parse(p[1].Trim()))).ToArray();
        new Random(1).Shuffle(sst);
        foreach (var chunk in sst.Take(rows).Chunk(BatchSize))
        {
            var encoded = tokenizer.EncodeBatch(chunk.Select(r => r.Text).ToArray(), null, MaxLength);   // padded to the batch's longest
            yield return new Batch(encoded.InputIds, encoded.AttentionMask, chunk.Select(r => r.Label).ToArray(), encoded.SequenceLength);
        }
    }

    private static void WriteBatches(string path, Batch[] batches)
    {
        static JsonArray Rows(long[] flat, int length) =>
            new(flat.Chunk(length).Select(r => (JsonNode?)new JsonArray(r.Select(v => (JsonNode?)v).ToArray())).ToArray());
        var json = new JsonObject
        {
            ["batches"] = new JsonArray(batches.Select(b => (JsonNode?)new JsonObject
            {
                ["input_ids"] = Rows(b.Ids, b.Length), ["attention_mask"] = Rows(b.Mask, b.Length),
                ["labels"] = new JsonArray(b.Labels.Select(v => (JsonNode?)v).ToArray()),
            }).ToArray()),
        };
        File.WriteAllText(path, json.ToJsonString());
    }

    // Our Trainer on the same batches from the same start: an untimed pass over every batch (each shape's kernels and
    // allocations met once, as in a long run), then the timed steps: every batch after the first WarmupSteps, again.
    private static (double Rate, double[] Losses) TrainOurs(string start, Batch[] batches, bool bf16)
    {
        manual_seed(1);
        using var model = EncoderCheckpoint.LoadForSequenceClassification(start, numLabels: 2, requireHead: true);
        TrainingResult Train(Batch[] part) => Trainer.Run(model, new FixedBatchesTask(model, part),
            new TrainerOptions { LearningRate = 2e-5, WarmupSteps = 0, UseBf16 = bf16, LogEverySteps = int.MaxValue }, epochs: 1, seed: 1);
        var warm = Train(batches);   // every shape met once, as the PyTorch side's --warm-pass
        var timed = Train(batches.Skip(WarmupSteps).ToArray());
        return (timed.TokensPerSecond, warm.LossHistory.ToArray());
    }

    private sealed class FixedBatchesTask(EncoderClassifier model, Batch[] batches) : ITrainingTask<Batch>
    {
        public int TrainingBatchesPerEpoch => batches.Length;

        public IEnumerable<Batch> TrainingBatches(int epoch, int seed) => batches;

        public Tensor ComputeLoss(Batch b)
        {
            var shape = new long[] { b.Size, b.Length };
            var ids = tensor(b.Ids, shape);
            var logits = model.forward(ids, zeros_like(ids), tensor(b.Mask, shape));
            return nn.functional.cross_entropy(logits.to(ScalarType.Float32), tensor(b.Labels));
        }

        public long CountTokens(Batch b) => b.Size;   // examples, so the loop's "tokens/s" is examples/s

        public ValidationResult? Evaluate() => null;
    }

    private sealed record PyTorchRun(double Rate, double Peak, double[] Losses, string Torch);

    private static PyTorchRun RunPyTorch(string python, string model, string batches, int threads, bool bf16)
    {
        var info = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Script, model, batches, "--threads", threads.ToString(), "--warmup", WarmupSteps.ToString(), "--warm-pass" }) info.ArgumentList.Add(a);
        if (bf16) info.ArgumentList.Add("--bf16");
        info.Environment["OMP_NUM_THREADS"] = threads.ToString();
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {python}.");
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{Script} exited with {process.ExitCode}: {stderr.Result}");
        var json = JsonNode.Parse(stdout.Trim().Split('\n')[^1])!;
        return new PyTorchRun(json["examples_per_second"]!.GetValue<double>(), json["matmul_gflops"]!.GetValue<double>(),
            json["losses"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray(), json["torch"]!.GetValue<string>());
    }

    // The interpreter asked for, else the first of python3 on PATH and Debian's /usr/bin/python3 that imports torch.
    private static string? FindPython(string? asked)
    {
        foreach (var candidate in asked is not null ? [asked] : new[] { "python3", "/usr/bin/python3" })
        {
            try
            {
                var info = new ProcessStartInfo(candidate, ["-c", "import torch"]) { RedirectStandardError = true, RedirectStandardOutput = true };
                using var p = Process.Start(info);
                if (p is null) continue;
                p.StandardError.ReadToEnd();
                p.WaitForExit();
                if (p.ExitCode == 0) return candidate;
            }
            catch (System.ComponentModel.Win32Exception) { }   // not installed
        }
        return null;
    }

    private static string Losses(double[]? losses) => losses is null ? "-" : string.Join(" ", losses.Take(6).Select(l => l.ToString("F3")));

    private sealed class TemporaryFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("mlnet-transformers-bench-pytorch-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
