using MLNet.Transformers.Models.Bert;
using static TorchSharp.torch;

namespace MLNet.Transformers.Benchmarks;

/// <summary>Floating-point operations of a BERT encoder forward pass (multiply-add = 2 FLOPs).</summary>
internal static class Flops
{
    /// <summary>FLOPs to encode one sequence of <paramref name="tokens"/> tokens (embeddings, LayerNorms and softmax are negligible and not counted).</summary>
    public static double BertForwardPerSequence(BertConfig c, int tokens)
    {
        double h = c.HiddenSize, i = c.IntermediateSize, t = tokens;
        double projections = 4 * h * h;          // query, key, value, attention output
        double feedForward = 2 * h * i;          // intermediate and output dense
        double attention = 2 * t * h;            // q·kᵀ and probs·v, per query token
        return 2 * c.NumHiddenLayers * t * (projections + feedForward + attention);
    }

    /// <summary>
    /// GFLOP/s of a plain (m × k)·(k × n) matmul in <paramref name="dtype"/>, median of 5 timings: the "peak" a model's
    /// achieved GFLOP/s is compared with (measured in the same run, since the shared machine's speed varies).
    /// </summary>
    public static double MatmulGflops(ScalarType dtype, int m, int k, int n)
    {
        using var a = randn(m, k).to(dtype);
        using var w = randn(k, n).to(dtype);
        for (int i = 0; i < 3; i++) { using var _ = a.matmul(w); }
        int repeats = Math.Max(1, (int)(2e10 / (2.0 * m * k * n)));   // ~20 GFLOP per timing
        var times = Enumerable.Range(0, 5).Select(_ => Stopwatches.Time(() => { for (int i = 0; i < repeats; i++) { using var r = a.matmul(w); } }) / repeats);
        return 2.0 * m * k * n / Stopwatches.Median(times) / 1e9;
    }
}

/// <summary>The machine's practical matmul peaks, measured in the same run as the models they are compared with.</summary>
internal static class MatmulPeak
{
    /// <summary>GFLOP/s of (m × k)·(k × n) in <paramref name="dtype"/>, the shape of a BERT feed-forward matmul; median of <paramref name="repeats"/>.</summary>
    public static double Measure(TorchSharp.torch.ScalarType dtype, int m, int k, int n, int repeats = 5)
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        var a = TorchSharp.torch.randn(m, k).to(dtype);
        var w = TorchSharp.torch.randn(k, n).to(dtype);
        using (a.matmul(w)) { }   // warm-up
        var times = Enumerable.Range(0, repeats).Select(_ => Stopwatches.Time(() => { using var r = a.matmul(w); })).ToList();
        return 2.0 * m * k * n / Stopwatches.Median(times) / 1e9;
    }
}
