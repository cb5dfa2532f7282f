using MLNet.Transformers.Inference;
using MLNet.Transformers.Models.Bert;
using static TorchSharp.torch;

namespace MLNet.Transformers.Benchmarks;

/// <summary>
/// Only our encoder's forward pass, in a loop, for profiling (no tokenizer, no ML.NET, no other contender):
///   dotnet run -c Release --project bench/MLNet.Transformers.Benchmarks -- forward [fp32|bf16] [batch] [seconds] [ab]
/// BERT-base shape with random weights, every row 128 tokens (as the inference benchmark's "fixed" part); prints
/// sentences/s, the share of the host's matmul peak in that precision and (bf16) the pooled outputs' error against fp32. Run it under <c>perf record</c> for a clean
/// profile. <c>ab</c> alternates variant A (the default code path) with variant B (<see cref="Variant"/>; today plain bf16
/// linears instead of <see cref="PackedBf16Linear"/>'s packed kernels) pass by pass, so an experiment is compared under
/// the same load on a shared machine.
/// </summary>
internal static class ForwardBenchmark
{
    private const int MaxLength = 128;

    /// <summary>What variant B switches (point it at the experiment under test); false = variant A.</summary>
    private static void Variant(bool b) => MLNet.Transformers.Inference.PackedBf16Linear.Enabled = !b;

    public static void Run(string[] args)
    {
        var precision = args.Contains("fp32") ? Precision.Float32 : Precision.BFloat16;
        bool ab = args.Contains("ab");
        var numbers = args.Where(a => a is not ("fp32" or "bf16" or "ab")).Select(int.Parse).ToArray();
        int batch = numbers.Length > 0 ? numbers[0] : 8, seconds = numbers.Length > 1 ? numbers[1] : 10;
        var config = BertConfig.Base();
        manual_seed(0);
        using var model = new BertModel(config, addPoolingLayer: false);
        BertInitializer.Initialize(model, config);
        model.eval();
        float[]? reference = null;   // fp32 outputs, the yardstick for each variant's rounding error
        var dtype = precision == Precision.Float32 ? ScalarType.Float32 : ScalarType.BFloat16;
        double peak = MatmulPeak.Measure(dtype, Math.Max(batch, 8) * MaxLength, config.HiddenSize, config.IntermediateSize);
        using var ids = randint(1000, config.VocabSize, [batch, MaxLength], dtype: ScalarType.Int64);
        using var types = zeros([batch, MaxLength], dtype: ScalarType.Int64);
        using var mask = ones([batch, MaxLength], dtype: ScalarType.Int64);
        string ErrorToFp32(float[] output) => reference is null ? ""
            : $"; pooled outputs vs fp32 {Math.Sqrt(output.Zip(reference, (a, b) => (double)(a - b) * (a - b)).Sum() / reference.Sum(a => (double)a * a)):E2} relative";
        float[] Forward()
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var output = model.forward(ids, types, mask);
            return output.LastHiddenState.mean([1]).to(ScalarType.Float32).data<float>().ToArray();   // as the transform: pooled, copied out
        }
        if (precision != Precision.Float32) reference = Forward();
        ScoringPrecision.Apply(model, precision);
        var variants = ab ? new[] { false, true } : [false];
        var outputs = variants.Select(v => { Variant(v); Forward(); return Forward(); }).ToArray();
        var times = variants.Select(_ => new List<double>()).ToArray();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < seconds)
            for (int v = 0; v < variants.Length; v++) { Variant(variants[v]); times[v].Add(Stopwatches.Time(() => Forward())); }
        Variant(false);
        for (int v = 0; v < variants.Length; v++)
        {
            double median = Stopwatches.Median(times[v]);
            double gflops = batch * Flops.BertForwardPerSequence(config, MaxLength) / median / 1e9;
            Console.WriteLine($"forward {precision}{(ab ? v == 0 ? " A" : " B" : "")}, batch {batch}, T = {MaxLength}, threads {get_num_threads()}: {times[v].Count} passes, median {median * 1000:F1} ms, "
                + $"{batch / median:F2} sent/s, {gflops:F0} GFLOP/s = {gflops / peak:P0} of the {dtype} matmul peak ({peak:F0} GFLOP/s){ErrorToFp32(outputs[v])}");
        }
        if (ab)
        {
            var ratios = times[0].Zip(times[1], (a, b) => a / b).ToList();
            double diff = outputs[0].Zip(outputs[1], (a, b) => (double)(a - b) * (a - b)).Sum(), norm = outputs[0].Sum(a => (double)a * a);
            Console.WriteLine($"B ÷ A speed: median {Stopwatches.Median(ratios):F3} (range {ratios.Min():F3}-{ratios.Max():F3}); pooled outputs relative difference {Math.Sqrt(diff / norm):E2}");
        }
    }
}
