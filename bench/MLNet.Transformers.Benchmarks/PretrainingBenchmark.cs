using MLNet.Transformers.Training;
using Microsoft.ML;
using MLNet.Transformers.Estimators;
using MLNet.Transformers.Models.Bert;
using MLNet.Transformers.Training.Pretraining;
using static TorchSharp.torch;

namespace MLNet.Transformers.Benchmarks;

/// <summary>
/// Masked-LM pretraining throughput through the estimator (BERT-Mini, sequence 128, batch 16, fp32 and bf16), its achieved
/// GFLOP/s, and a plain fp32 and bf16 matmul measured in the same run for scale.
///   dotnet run -c Release --project bench/MLNet.Transformers.Benchmarks -- pretraining [steps]
/// </summary>
internal static class PretrainingBenchmark
{
    private sealed class TextRow { public string Text { get; set; } = ""; }

    public static void Run(string[] args)
    {
        int steps = args.Length > 0 ? int.Parse(args[0]) : 60;
        const int SequenceLength = 128, BatchSize = 16;
        var ml = new MLContext(seed: 1);
        var lines = File.ReadLines(Path.Combine(AppContext.BaseDirectory, "data", "wikitext-2-valid.txt"));
        var corpus = ml.Data.LoadFromEnumerable(lines.Select(l => new TextRow { Text = l }));
        var vocabulary = Path.Combine(AppContext.BaseDirectory, "data", "vocab.txt");

        var results = new List<(string Name, double TokensPerSecond, double Loss)>();
        foreach (var bf16 in new[] { false, true, false, true })
        {
            var estimator = ml.Transforms.Text.PretrainMaskedLanguageModel(new MaskedLanguageModelOptions
            {
                ModelConfig = BertConfig.Mini(), VocabularyPath = vocabulary, RowFormat = CorpusRowFormat.WikiTextLines,
                NextSentencePrediction = true, MaxSequenceLength = SequenceLength, BatchSize = BatchSize, MaxEpochs = 10, ValidationFraction = 0,
                Training = new TrainerOptions { MaxSteps = steps, LearningRate = 5e-4, UseBf16 = bf16, Seed = 1 },
            });
            using var model = estimator.Fit(corpus);
            var r = estimator.LastTrainingResult!;
            results.Add((bf16 ? "bf16" : "fp32", r.TokensPerSecond, r.LossHistory.TakeLast(10).Average()));
            Console.WriteLine($"{results[^1].Name}: {r.TokensPerSecond:F0} tokens/s, mean loss of the last 10 steps {results[^1].Loss:F4}");
        }

        var config = BertConfig.Mini();
        double flopsPerToken = TrainingFlopsPerToken(config, SequenceLength);
        double fp32 = results.Where(r => r.Name == "fp32").Average(r => r.TokensPerSecond);
        double bf16Rate = results.Where(r => r.Name == "bf16").Average(r => r.TokensPerSecond);
        double peak32 = Flops.MatmulGflops(ScalarType.Float32, 2048, 256, 1024), peak16 = Flops.MatmulGflops(ScalarType.BFloat16, 2048, 256, 1024);
        Console.WriteLine();
        Console.WriteLine($"fp32: {fp32:F0} tokens/s = {fp32 * flopsPerToken / 1e9:F1} GFLOP/s ({fp32 * flopsPerToken / 1e9 / peak32:P0} of the fp32 matmul's {peak32:F0} GFLOP/s)");
        Console.WriteLine($"bf16: {bf16Rate:F0} tokens/s = {bf16Rate * flopsPerToken / 1e9:F1} GFLOP/s ({bf16Rate * flopsPerToken / 1e9 / peak16:P0} of the bf16 matmul's {peak16:F0} GFLOP/s)");
        Console.WriteLine($"bf16 / fp32 speed: {bf16Rate / fp32:F2}x; final loss fp32 {results.Where(r => r.Name == "fp32").Average(r => r.Loss):F4} vs bf16 {results.Where(r => r.Name == "bf16").Average(r => r.Loss):F4}");
    }

    // Training ≈ 3× the forward FLOPs (forward, and backward for activations and weights). The MLM head runs only at the
    // ~15% masked positions; NSP and embeddings are negligible.
    private static double TrainingFlopsPerToken(BertConfig c, int t) =>
        3 * (Flops.BertForwardPerSequence(c, t) / t + 0.15 * 2.0 * (c.HiddenSize * c.HiddenSize + c.HiddenSize * c.VocabSize));
}
