using Microsoft.ML;
using MLNet.Transformers.Estimators;
using MLNet.Transformers.Generation;
using MLNet.Transformers.Models.T5;
using MLNet.Transformers.Training;
using MLNet.Transformers.Training.Objectives.SpanCorruption;
using static TorchSharp.torch;

namespace MLNet.Transformers.Benchmarks;

/// <summary>
/// T5 throughput, side by side in one run: span-corruption pretraining tokens/s (encoder + decoder tokens) of T5-mini
/// (d_model 256, 4+4 blocks, t5-small's 32,128 vocabulary, input 128, batch 16) in fp32 and bf16 alternated, on WikiText-2;
/// then greedy generation tokens/s with and without the decoder KV cache (same shape, random weights, a 64-token source,
/// 8 sources per batch, 32/128 new tokens, never stopping at &lt;/s&gt;).
///   dotnet run -c Release --project bench/MLNet.Transformers.Benchmarks -- t5 [steps] [lengths, e.g. 32,128]
/// </summary>
internal static class T5Benchmark
{
    private sealed class TextRow { public string Text { get; set; } = ""; }

    public static void Run(string[] args)
    {
        int steps = args.Length > 0 ? int.Parse(args[0]) : 20;
        var ml = new MLContext(seed: 1);
        var tokenizerDirectory = Path.Combine(AppContext.BaseDirectory, "data", "t5-small");
        var lines = File.ReadLines(Path.Combine(AppContext.BaseDirectory, "data", "wikitext-2-valid.txt")).Where(l => l.Trim().Length > 0).Take(600);
        var corpus = ml.Data.LoadFromEnumerable(lines.Select(l => new TextRow { Text = l }).ToList());
        var config = T5Config.Mini() with { DropoutRate = 0 };

        var results = new List<(string Name, double TokensPerSecond)>();
        foreach (var bf16 in new[] { false, true, false, true })
        {
            var estimator = ml.Transforms.Text.PretrainSpanCorruption(new SpanCorruptionOptions
            {
                TokenizerDirectory = tokenizerDirectory, ModelConfig = config, Objective = T5Objective.ReplaceSpans, InputLength = 128, BatchSize = 16,
                MaxEpochs = 10, ValidationFraction = 0, Training = new TrainerOptions { MaxSteps = steps, LearningRate = 1e-3, UseBf16 = bf16, Seed = 1 },
            });
            using var model = estimator.Fit(corpus);
            results.Add((bf16 ? "bf16" : "fp32", estimator.LastTrainingResult!.TokensPerSecond));
            Console.WriteLine($"training {results[^1].Name}: {results[^1].TokensPerSecond:F0} tokens/s");
        }
        double fp32 = results.Where(r => r.Name == "fp32").Average(r => r.TokensPerSecond);
        double bf16Rate = results.Where(r => r.Name == "bf16").Average(r => r.TokensPerSecond);
        Console.WriteLine($"span corruption, T5-mini: fp32 {fp32:F0} tokens/s, bf16 {bf16Rate:F0} tokens/s; bf16/fp32 {bf16Rate / fp32:F2}x");

        manual_seed(1);
        using var t5 = new T5ForConditionalGeneration(config);
        T5Initializer.Initialize(t5);
        t5.eval();
        const int Sources = 8, SourceLength = 64;
        using var sourceIds = randint(100, 32000, [Sources, SourceLength], dtype: ScalarType.Int64);
        using var sourceMask = ones(Sources, SourceLength, dtype: ScalarType.Int64);
        Console.WriteLine();
        Console.WriteLine($"new tokens | with cache tokens/s | without cache tokens/s | speed-up   ({Sources} sources of {SourceLength} tokens, greedy)");
        var lengths = args.Length > 1 ? args[1].Split(',').Select(int.Parse).ToArray() : [32, 128];
        foreach (int length in lengths)
        {
            double Rate(bool cache)
            {
                var options = new TextGenerationOptions { MaxNewTokens = length, UseCache = cache, EosTokenId = -1, BatchSize = Sources };
                using var noGrad = no_grad();
                double seconds = Stopwatches.Time(() =>
                {
                    using var scope = NewDisposeScope();
                    var encoded = t5.Encode(sourceIds, sourceMask);                        // once per source, as TextToText
                    var decoder = new T5ConditionalDecoder(t5, encoded, sourceMask);
                    TextGenerator.Generate(decoder, Enumerable.Repeat(new[] { config.DecoderStartTokenId }, Sources).ToArray(), options, null, config.PadTokenId, null, null);
                });
                return Sources * length / seconds;
            }
            Rate(true); // warm-up
            double with = Rate(true), without = Rate(false);
            Console.WriteLine($"{length,10} | {with,19:F1} | {without,22:F1} | {with / without,7:F1}x");
        }
    }
}
