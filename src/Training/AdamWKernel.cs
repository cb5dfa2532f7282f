using System.Runtime.Intrinsics;

namespace MLNet.Transformers.Training;

/// <summary>
/// The AdamW update of one contiguous CPU parameter in a single pass: read p, m, v and the gradient once, write p, m, v
/// (and the bf16 model copy) once. Done as separate libtorch ops (PyTorch's single-tensor AdamW, our earlier code) the same
/// update is nine passes over every parameter plus two temporaries, and clipping, the bf16 gradient widening and the
/// master-to-model copy add four more: on MiniLM (22.7M parameters) that was ~0.1-0.2 s a step, as much as the forward.
/// The arithmetic follows the op sequence of <see cref="AdamW"/>'s reference path element by element, in fp32 with the
/// same scalar constants (libtorch turns a double scalar into the tensor's float), so results agree with it to a few ulps
/// (libtorch may fuse a multiply-add where this does not, or the reverse).
/// </summary>
internal static unsafe class AdamWKernel
{
    /// <summary>The per-parameter constants of one step, already rounded to float as libtorch rounds its scalars.</summary>
    public readonly record struct Coefficients(float Decay, float Beta1, float OneMinusBeta1, float Beta2, float OneMinusBeta2,
        float SqrtCorrection2, float Epsilon, float StepSize, float GradientScale);

    /// <summary>
    /// Updates <paramref name="n"/> elements. The gradient is fp32 (<paramref name="gradient32"/>) or bfloat16
    /// (<paramref name="gradient16"/>, widened exactly); <paramref name="copy16"/>, when not null, receives the new
    /// parameter rounded to bfloat16 (round to nearest even, as libtorch's fp32 → bf16 copy).
    /// </summary>
    public static void Update(float* p, float* m, float* v, float* gradient32, ushort* gradient16, ushort* copy16, long n, in Coefficients c)
    {
        long i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var decay = Vector256.Create(c.Decay);
            var beta1 = Vector256.Create(c.Beta1);
            var oneMinusBeta1 = Vector256.Create(c.OneMinusBeta1);
            var beta2 = Vector256.Create(c.Beta2);
            var oneMinusBeta2 = Vector256.Create(c.OneMinusBeta2);
            var sqrtCorrection2 = Vector256.Create(c.SqrtCorrection2);
            var epsilon = Vector256.Create(c.Epsilon);
            var stepSize = Vector256.Create(c.StepSize);
            var scale = Vector256.Create(c.GradientScale);
            for (; i + Vector256<float>.Count <= n; i += Vector256<float>.Count)
            {
                var g = gradient16 != null ? WidenBf16(Vector128.Load(gradient16 + i)) : Vector256.Load(gradient32 + i);
                if (c.GradientScale != 1) g *= scale;                                  // clip_grad_norm_: g.mul_(scale)
                var pi = Vector256.Load(p + i) * decay;                                 // p.mul_(1 - lr·wd)
                var mi = Vector256.FusedMultiplyAdd(g, oneMinusBeta1, Vector256.Load(m + i) * beta1);   // m.mul_(β1).add_(g, 1-β1)
                var vi = Vector256.Load(v + i) * beta2 + oneMinusBeta2 * g * g;         // v.mul_(β2).addcmul_(g, g, 1-β2)
                var denominator = Vector256.Sqrt(vi) / sqrtCorrection2 + epsilon;       // v.sqrt() / sqrt(c2) + eps
                pi += stepSize * mi / denominator;                                      // p.addcdiv_(m, den, -lr/c1)
                pi.Store(p + i);
                mi.Store(m + i);
                vi.Store(v + i);
                if (copy16 != null) RoundToBf16(pi).Store(copy16 + i);
            }
        }
        for (; i < n; i++)
        {
            float g = gradient16 != null ? BitConverter.Int32BitsToSingle(gradient16[i] << 16) : gradient32[i];
            if (c.GradientScale != 1) g *= c.GradientScale;
            float pi = p[i] * c.Decay;
            float mi = MathF.FusedMultiplyAdd(g, c.OneMinusBeta1, m[i] * c.Beta1);
            float vi = v[i] * c.Beta2 + c.OneMinusBeta2 * g * g;
            float denominator = MathF.Sqrt(vi) / c.SqrtCorrection2 + c.Epsilon;
            pi += c.StepSize * mi / denominator;
            p[i] = pi;
            m[i] = mi;
            v[i] = vi;
            if (copy16 != null) copy16[i] = RoundToBf16(pi);
        }
    }

    /// <summary>Σ g² over <paramref name="n"/> fp32 or bf16 elements: fp32 lanes over blocks of 2,048 elements, blocks summed in double.</summary>
    public static double SumOfSquares(float* gradient32, ushort* gradient16, long n)
    {
        const int Block = 2048;
        long i = 0;
        double sum = 0;
        if (Vector256.IsHardwareAccelerated)
            while (i + Vector256<float>.Count <= n)
            {
                var lanes = Vector256<float>.Zero;
                long end = Math.Min(n, i + Block);
                for (; i + Vector256<float>.Count <= end; i += Vector256<float>.Count)
                {
                    var g = gradient16 != null ? WidenBf16(Vector128.Load(gradient16 + i)) : Vector256.Load(gradient32 + i);
                    lanes = Vector256.FusedMultiplyAdd(g, g, lanes);
                }
                sum += Vector256.Sum(lanes);
            }
        for (; i < n; i++)
        {
            double g = gradient16 != null ? BitConverter.Int32BitsToSingle(gradient16[i] << 16) : gradient32[i];
            sum += g * g;
        }
        return sum;
    }

    /// <summary>bf16 → fp32 is exact: the bf16 bits are the high half of the float.</summary>
    private static Vector256<float> WidenBf16(Vector128<ushort> bits) =>
        (Vector256.Create(Vector128.WidenLower(bits), Vector128.WidenUpper(bits)) << 16).AsSingle();

    private static Vector128<ushort> RoundToBf16(Vector256<float> x)
    {
        var bits = x.AsUInt32();
        var rounded = (bits + ((bits >> 16) & Vector256<uint>.One) + Vector256.Create(0x7FFFu)) >> 16;
        var nan = ~Vector256.Equals(x, x).AsUInt32();
        return Vector256.Narrow(Vector256.ConditionalSelect(nan, Vector256.Create(0x7FC0u), rounded), Vector256<uint>.Zero).GetLower();
    }

    /// <summary>fp32 → bf16, round to nearest even; NaN stays a quiet NaN (c10::BFloat16's rule).</summary>
    internal static ushort RoundToBf16(float x)
    {
        if (float.IsNaN(x)) return 0x7FC0;
        uint bits = BitConverter.SingleToUInt32Bits(x);
        return (ushort)((bits + ((bits >> 16) & 1) + 0x7FFF) >> 16);
    }
}
