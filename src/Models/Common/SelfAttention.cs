using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.Common;

/// <summary>
/// softmax(q kᵀ / √d + mask) v with dropout on the probabilities while training — HF's eager attention. fp32 runs
/// libtorch's <c>scaled_dot_product_attention</c>; bf16 on the CPU is written out as two batched matmuls around a softmax,
/// because libtorch 2.10's SDPA is slow there both ways: its fused CPU kernel (inference) does its bf16 matmuls through MKL's
/// <c>gemm_bf16bf16f32</c>, which on AMD CPUs takes a generic path at ~130 GFLOP/s against oneDNN's ~900, and with dropout
/// (training) it takes the math path, which upcasts bf16 to fp32 and draws the dropout with the single-threaded
/// <c>bernoulli_</c>. Written out, the matmuls are oneDNN bf16 GEMMs and the dropout mask comes from
/// <see cref="DropoutMask"/>. Same math: the bf16 softmax accumulates in fp32 and rounds its output to bf16, as the other
/// paths round their probabilities when they meet bf16 <c>v</c>.
/// </summary>
internal static class SelfAttention
{
    /// <summary>
    /// Attends <paramref name="q"/>, <paramref name="k"/>, <paramref name="v"/> (B, nh, T, hs) with a boolean
    /// <paramref name="attendMask"/> broadcastable to (B, nh, Tq, Tk), true where a key may be attended.
    /// </summary>
    public static Tensor Attend(Tensor q, Tensor k, Tensor v, Tensor attendMask, double dropout, bool training)
    {
        double p = training ? dropout : 0.0;
        if (q.dtype != ScalarType.BFloat16 || q.device_type != DeviceType.CPU)
            return nn.functional.scaled_dot_product_attention(q, k, v, attn_mask: attendMask, p: p);
        using var scope = NewDisposeScope();
        long batch = q.shape[0], heads = q.shape[1], queries = q.shape[2], keys = k.shape[2], size = q.shape[3];
        // Scaled inside the GEMM (baddbmm's alpha; beta = 0 ignores the 1×1×1 input), not by another pass over the T×T
        // scores. TorchSharp's baddbmm takes batch1 as the receiver and the added input third.
        using var nothing = zeros(1, 1, 1, dtype: ScalarType.BFloat16);
        var scores = q.reshape(batch * heads, queries, size)
            .baddbmm(k.reshape(batch * heads, keys, size).transpose(1, 2), nothing, beta: 0, alpha: (float)(1 / Math.Sqrt(size)))
            .view(batch, heads, queries, keys);
        // Padding as an additive bias: a vectorised broadcast add, where masked_fill_ with a broadcast mask runs a scalar
        // loop (~2.5× slower). The most negative finite bf16 rather than -inf, so a row with every key masked stays finite.
        if (!attendMask.all().item<bool>())
            scores = scores.add_(zeros(attendMask.shape, ScalarType.BFloat16).masked_fill_(attendMask.logical_not(), -3.3895313892515355e38));
        var probabilities = MixedPrecisionDropout.Apply(scores.softmax(-1), p, training);
        return matmul(probabilities, v).MoveToOuterDisposeScope();
    }
}
