using MLNet.Transformers.Models.Bert;
using MLNet.Transformers.Training;
using static TorchSharp.torch;

namespace MLNet.Transformers.Benchmarks;

/// <summary>
/// Fine-tuning throughput of a BERT-base-shaped sequence classifier (HF <c>BertForSequenceClassification</c>, 2 labels)
/// at sequence length 128 through the shared training loop (<see cref="Trainer.Run{TBatch}"/>, AdamW, clipping, dropout on),
/// fp32 vs bf16 mixed precision in interleaved rounds, with the achieved GFLOP/s against a BERT-base-shaped matmul
/// measured in the same run. Batches are random token ids of full length, so every example is exactly 128 tokens.
///   dotnet run -c Release --project bench/MLNet.Transformers.Benchmarks -- finetuning [steps per round] [batch] [rounds]
/// </summary>
internal static class FineTuningBenchmark
{
    private const int SequenceLength = 128;

    public static void Run(string[] args)
    {
        int steps = args.Length > 0 ? int.Parse(args[0]) : 4;
        int batchSize = args.Length > 1 ? int.Parse(args[1]) : 16;
        int rounds = args.Length > 2 ? int.Parse(args[2]) : 3;
        var config = BertConfig.Base();
        Console.WriteLine($"BERT-base sequence classifier, T={SequenceLength}, batch {batchSize}, {steps} steps per round, {rounds} rounds of fp32 then bf16");

        manual_seed(1);
        using var model = new BertForSequenceClassification(config, numLabels: 2);
        BertInitializer.Initialize(model, config);
        using var initial = new Snapshot(model);
        var task = new RandomClassificationTask(model, config.VocabSize, batchSize, steps);

        Measure(model, initial, task, bf16: false, steps: 1);   // warm-up: first-call allocations and kernel selection
        Measure(model, initial, task, bf16: true, steps: 1);
        // Each round measures the matmul "peak" right before training in the same precision (the shared machine's speed
        // drifts), with the encoder's largest matmul shape: (batch·T × hidden)·(hidden × intermediate).
        double flopsPerExample = 3 * Flops.BertForwardPerSequence(config, SequenceLength);   // forward + backward ≈ 3× forward
        var perRound = new Dictionary<bool, List<(double Rate, double Peak)>> { [false] = [], [true] = [] };
        for (int round = 0; round < rounds; round++)
            foreach (var bf16 in new[] { false, true })
            {
                double peak = Flops.MatmulGflops(bf16 ? ScalarType.BFloat16 : ScalarType.Float32, batchSize * SequenceLength, config.HiddenSize, config.IntermediateSize);
                double rate = Measure(model, initial, task, bf16, steps);
                perRound[bf16].Add((rate, peak));
                Console.WriteLine($"round {round + 1} {(bf16 ? "bf16" : "fp32")}: {rate:F2} examples/s = {rate * flopsPerExample / 1e9:F1} GFLOP/s; matmul just before: {peak:F0} GFLOP/s");
            }

        Console.WriteLine();
        foreach (var bf16 in new[] { false, true })
        {
            var r = perRound[bf16];
            double median = Stopwatches.Median(r.Select(x => x.Rate)), fraction = Stopwatches.Median(r.Select(x => x.Rate * flopsPerExample / 1e9 / x.Peak));
            Console.WriteLine($"{(bf16 ? "bf16" : "fp32")}: {median:F2} examples/s (median; range {r.Min(x => x.Rate):F2}-{r.Max(x => x.Rate):F2}) = {median * flopsPerExample / 1e9:F1} GFLOP/s; " +
                $"{fraction:P0} of the {(bf16 ? "bf16" : "fp32")} matmul measured in the same round (median over rounds; matmul {Stopwatches.Median(r.Select(x => x.Peak)):F0} GFLOP/s)");
        }
        var ratios = perRound[true].Zip(perRound[false], (b, f) => b.Rate / f.Rate).ToList();
        Console.WriteLine($"bf16 / fp32 speed: {Stopwatches.Median(ratios):F2}x (per round: {string.Join(", ", ratios.Select(x => x.ToString("F2")))})");
    }

    // Each measurement starts from the same weights, so fp32 and bf16 rounds do identical work.
    private static double Measure(BertForSequenceClassification model, Snapshot initial, RandomClassificationTask task, bool bf16, int steps)
    {
        initial.Restore(model);
        var options = new TrainerOptions { LearningRate = 2e-5, MaxSteps = steps, UseBf16 = bf16, LogEverySteps = int.MaxValue };
        return Trainer.Run(model, task, options, epochs: 1, seed: 1).TokensPerSecond;   // the task counts examples, not tokens
    }

    private sealed class Snapshot(nn.Module model) : IDisposable
    {
        private readonly Dictionary<string, Tensor> weights = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());

        public void Restore(nn.Module target)
        {
            using var _ = no_grad();
            foreach (var (name, tensor) in target.state_dict()) tensor.copy_(weights[name]);
        }

        public void Dispose() { foreach (var t in weights.Values) t.Dispose(); }
    }

    // Full-length random sentences with random binary labels; CountTokens returns the example count, so the loop's
    // TokensPerSecond is examples/s.
    private sealed class RandomClassificationTask(BertForSequenceClassification model, int vocabSize, int batchSize, int batches)
        : ITrainingTask<(Tensor Ids, Tensor Labels)>
    {
        public int TrainingBatchesPerEpoch => batches;

        public IEnumerable<(Tensor Ids, Tensor Labels)> TrainingBatches(int epoch, int seed)
        {
            var random = new Random(seed + epoch);
            for (int b = 0; b < batches; b++)
            {
                var ids = Enumerable.Range(0, batchSize * SequenceLength).Select(_ => (long)random.Next(1000, vocabSize)).ToArray();
                var labels = Enumerable.Range(0, batchSize).Select(_ => (long)random.Next(2)).ToArray();
                yield return (tensor(ids).reshape(batchSize, SequenceLength), tensor(labels));
            }
        }

        public Tensor ComputeLoss((Tensor Ids, Tensor Labels) batch)
        {
            using var segments = zeros_like(batch.Ids);
            using var mask = ones_like(batch.Ids);
            using var logits = model.forward(batch.Ids, segments, mask);
            return nn.functional.cross_entropy(logits.to(ScalarType.Float32), batch.Labels);
        }

        public long CountTokens((Tensor Ids, Tensor Labels) batch) => batch.Ids.shape[0];

        public ValidationResult? Evaluate() => null;
    }
}
