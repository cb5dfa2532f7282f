using Microsoft.ML;
using MLNet.Transformers.Estimators;
using MLNet.Transformers.Generation;
using MLNet.Transformers.Models.Gpt2;
using MLNet.Transformers.Training;
using static TorchSharp.torch;

namespace MLNet.Transformers.Benchmarks;

/// <summary>
/// GPT training throughput through PretrainCausalLanguageModel (Gpt2Config.Small: 4 layers, 256 wide, block 128, batch 16,
/// fp32 and bf16 alternated, on tiny Shakespeare) with its fraction of the matmul peak measured in the same run; then greedy
/// generation tokens/s with and without the KV cache at 32/128/512 new tokens (same model shape, GPT-2's 50,257 vocabulary,
/// random weights, an 8-token prompt).
///   dotnet run -c Release --project bench/MLNet.Transformers.Benchmarks -- generation [steps] [lengths, e.g. 32,128,512]
/// </summary>
internal static class GenerationBenchmark
{
    private sealed class TextRow { public string Text { get; set; } = ""; }

    public static void Run(string[] args)
    {
        int steps = args.Length > 0 ? int.Parse(args[0]) : 30;
        const int Block = 128, Batch = 16;
        var ml = new MLContext(seed: 1);
        var speeches = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "data", "tinyshakespeare.txt")).Split("\n\n").Select(s => new TextRow { Text = s }).ToList();
        var corpus = ml.Data.LoadFromEnumerable(speeches);
        // One byte-level BPE for all four runs (training it is not what is measured).
        var tokenizerDirectory = Path.Combine(Path.GetTempPath(), "mlnet-transformers-bench-bpe");
        Tokenization.ByteLevelBpeTrainer.Train(speeches.Select(s => s.Text), 2000).Save(tokenizerDirectory, Block);
        var config = Gpt2Config.Small() with { NPositions = Block };

        var results = new List<(string Name, double TokensPerSecond)>();
        foreach (var bf16 in new[] { false, true, false, true })
        {
            var estimator = ml.Transforms.Text.PretrainCausalLanguageModel(new CausalLanguageModelOptions
            {
                ModelConfig = config, TokenizerDirectory = tokenizerDirectory, BlockSize = Block, BatchSize = Batch, MaxEpochs = 10, ValidationFraction = 0,
                Training = new TrainerOptions { MaxSteps = steps, LearningRate = 1e-3, UseBf16 = bf16, Seed = 1 },
            });
            using var model = estimator.Fit(corpus);
            results.Add((bf16 ? "bf16" : "fp32", estimator.LastTrainingResult!.TokensPerSecond));
            Console.WriteLine($"training {results[^1].Name}: {results[^1].TokensPerSecond:F0} tokens/s");
        }
        // nanoGPT's estimate: 6 FLOPs per parameter per token (forward + backward) plus attention 12·L·C·T; embeddings excluded, lm_head included.
        int c = config.NEmbd, l = config.NLayer, v = 2000;
        double parameters = l * (12.0 * c * c) + (double)c * v;
        double flopsPerToken = 6 * parameters + 12.0 * l * c * Block;
        double fp32 = results.Where(r => r.Name == "fp32").Average(r => r.TokensPerSecond);
        double bf16Rate = results.Where(r => r.Name == "bf16").Average(r => r.TokensPerSecond);
        double peak32 = MatmulGflops(ScalarType.Float32), peak16 = MatmulGflops(ScalarType.BFloat16);
        Console.WriteLine($"fp32: {fp32:F0} tokens/s = {fp32 * flopsPerToken / 1e9:F1} GFLOP/s ({fp32 * flopsPerToken / 1e9 / peak32:P0} of the fp32 matmul's {peak32:F0} GFLOP/s)");
        Console.WriteLine($"bf16: {bf16Rate:F0} tokens/s = {bf16Rate * flopsPerToken / 1e9:F1} GFLOP/s ({bf16Rate * flopsPerToken / 1e9 / peak16:P0} of the bf16 matmul's {peak16:F0} GFLOP/s); bf16/fp32 {bf16Rate / fp32:F2}x");

        manual_seed(1);
        var genConfig = Gpt2Config.Small() with { NPositions = 1024, ResidPdrop = 0, EmbdPdrop = 0, AttnPdrop = 0 };
        using var gpt = new Gpt2LMHeadModel(genConfig);
        Gpt2Initializer.Initialize(gpt, genConfig);
        gpt.eval();
        int[] prompt = [464, 2068, 7586, 21831, 18045, 625, 262, 16931];
        Console.WriteLine();
        Console.WriteLine("new tokens | with cache tokens/s | without cache tokens/s | speed-up");
        var lengths = args.Length > 1 ? args[1].Split(',').Select(int.Parse).ToArray() : [32, 128, 512];
        foreach (int length in lengths)
        {
            double Rate(bool cache)
            {
                var options = new TextGenerationOptions { MaxNewTokens = length, UseCache = cache, EosTokenId = -1 };
                using var noGrad = no_grad();
                double seconds = Stopwatches.Time(() => TextGenerator.Generate(gpt, [prompt], options, null, 50256, null, null));
                return length / seconds;
            }
            Rate(true); // warm-up
            double with = Rate(true), without = Rate(false);
            Console.WriteLine($"{length,10} | {with,19:F1} | {without,22:F1} | {with / without,7:F1}x");
        }
    }

    private static double MatmulGflops(ScalarType dtype)
    {
        using var a = randn(2048, 256).to(dtype);
        using var w = randn(256, 1024).to(dtype);
        for (int i = 0; i < 3; i++) { using var _ = a.matmul(w); }
        var times = Enumerable.Range(0, 5).Select(_ => Stopwatches.Time(() => { for (int i = 0; i < 20; i++) { using var r = a.matmul(w); } }) / 20);
        return 2.0 * 2048 * 256 * 1024 / Stopwatches.Median(times) / 1e9;
    }
}
