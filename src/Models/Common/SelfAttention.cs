using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.Common;

/// <summary>
/// softmax(q kᵀ / √d + mask) v with dropout on the probabilities while training — HF's eager attention — run by libtorch's
/// <c>scaled_dot_product_attention</c>, except in bf16 training on the CPU. There libtorch 2.10 takes SDPA's math path
/// (its fused CPU kernel has no dropout), which upcasts bf16 to fp32 for the two matmuls and the masking and draws the
/// dropout with the single-threaded <c>bernoulli_</c>; written out, the matmuls stay bf16 (oneDNN) and the mask comes
/// from <see cref="DropoutMask"/>. Same math: the softmax of a bf16 tensor accumulates in fp32 and rounds its output to bf16,
/// as the math path's fp32 probabilities are rounded when they meet bf16 <c>v</c>.
/// </summary>
internal static class SelfAttention
{
    /// <summary>
    /// Attends <paramref name="q"/>, <paramref name="k"/>, <paramref name="v"/> (B, nh, T, hs) with a boolean
    /// <paramref name="attendMask"/> broadcastable to (B, nh, Tq, Tk), true where a key may be attended.
    /// </summary>
    public static Tensor Attend(Tensor q, Tensor k, Tensor v, Tensor attendMask, double dropout, bool training)
    {
        if (!training || dropout == 0 || q.dtype != ScalarType.BFloat16 || q.device_type != DeviceType.CPU)
            return nn.functional.scaled_dot_product_attention(q, k, v, attn_mask: attendMask, p: training ? dropout : 0.0);
        using var scope = NewDisposeScope();
        var scores = matmul(q, k.transpose(-2, -1)).mul_(1.0 / Math.Sqrt(q.shape[^1]));
        // The most negative bf16 rather than -inf: a row with every key masked gets uniform weights, not NaN.
        scores = scores.masked_fill_(attendMask.logical_not(), -3.3895313892515355e38);
        var probabilities = MixedPrecisionDropout.Apply(scores.softmax(-1), dropout, training: true);
        return matmul(probabilities, v).MoveToOuterDisposeScope();
    }
}
