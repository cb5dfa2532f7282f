using static TorchSharp.torch;

namespace MLNet.Transformers.Models;

/// <summary>
/// softmax(q kᵀ / √hs over the keys that are not padding) v for the encoders (BERT, RoBERTa, DistilBERT), with the
/// kernel that is fast for the dtype. In bf16 inference it runs two batched bf16 matmuls around a softmax: libtorch's
/// fused CPU kernel (<c>scaled_dot_product_attention</c>'s flash path) does its bf16 matmuls through MKL's
/// <c>gemm_bf16bf16f32</c>, which on AMD CPUs takes MKL's generic path (bf16 widened to fp32, then an AVX2 sgemm), about
/// 130 GFLOP/s against the ~900 GFLOP/s of the oneDNN bf16 GEMMs that batched matmuls use (2-core EPYC with
/// AVX512-BF16, BERT-base, T = 128, batch 8: 3.2 ms against 1.3 ms per layer; the whole forward 8% faster).
/// fp32, training and attention dropout keep <c>scaled_dot_product_attention</c>.
/// </summary>
internal static class PaddedSelfAttention
{
    /// <summary>Always use <c>scaled_dot_product_attention</c> (tests compare the two kernels).</summary>
    internal static bool AlwaysFused { get; set; }

    /// <summary>
    /// Attends <paramref name="q"/>, <paramref name="k"/>, <paramref name="v"/> (B, nh, T, hs) with a boolean
    /// (B, 1, 1, T) <paramref name="attendMask"/> (true where a key may be attended) → (B, nh, T, hs);
    /// <paramref name="dropout"/> is the probability dropout (0 when not training).
    /// </summary>
    public static Tensor Attend(Tensor q, Tensor k, Tensor v, Tensor attendMask, double dropout)
    {
        if (AlwaysFused || q.dtype != ScalarType.BFloat16 || dropout > 0 || q.requires_grad)
            return nn.functional.scaled_dot_product_attention(q, k, v, attn_mask: attendMask, p: dropout);
        using var scope = NewDisposeScope();
        long b = q.shape[0], nh = q.shape[1], t = q.shape[2], hs = q.shape[3];
        // bf16 scores, accumulated in fp32 and scaled inside the GEMM (baddbmm's alpha; beta = 0 ignores the 1×1×1
        // input), so rounded once. The flash kernel keeps them in fp32 but, like this path, rounds the probabilities to
        // bf16 before · v. TorchSharp's baddbmm takes batch1 as the receiver and the added input third.
        using var unused = zeros(1, 1, 1, dtype: q.dtype);
        var scores = q.reshape(b * nh, t, hs).baddbmm(k.reshape(b * nh, t, hs).transpose(1, 2), unused, beta: 0, alpha: (float)(1 / Math.Sqrt(hs)))
            .view(b, nh, t, t);
        // Padding as an additive bias: a vectorised add (masked_fill_ with a broadcast mask runs a scalar loop, 2.5× slower).
        // Finite (HF uses the dtype's minimum), so a row of padding stays finite.
        if (!attendMask.all().item<bool>())
            scores.add_(zeros(attendMask.shape, dtype: scores.dtype).masked_fill_(attendMask.logical_not(), -3.0e38));
        return scores.softmax(-1).matmul(v).MoveToOuterDisposeScope();   // (B, nh, T, hs)
    }
}
