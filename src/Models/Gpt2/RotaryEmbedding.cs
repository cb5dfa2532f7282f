using static TorchSharp.torch;

namespace MLNet.Transformers.Models.Gpt2;

/// <summary>
/// Rotary position embedding (RoPE, Su et al. 2021, in the "rotate half" layout of HF Llama): pairs of channels
/// (i, i + d/2) of queries and keys are rotated by the angle position·θ^(−2i/d). Because a rotation by m then the inverse
/// rotation by n is a rotation by m − n, the score q_m·k_n depends only on the distance m − n. No parameters.
/// </summary>
internal static class RotaryEmbedding
{
    /// <summary>cos and sin tables (B, 1, T, d) for <paramref name="positionIds"/> (B, T).</summary>
    public static (Tensor Cos, Tensor Sin) Tables(Tensor positionIds, int headDim, double theta)
    {
        using var scope = NewDisposeScope();
        var inverseFrequencies = pow(theta, arange(0, headDim, 2, dtype: ScalarType.Float64, device: positionIds.device) / -headDim) // (d/2)
            .to(ScalarType.Float32);
        var angles = positionIds.to(ScalarType.Float32).unsqueeze(-1) * inverseFrequencies;  // (B, T, d/2)
        var doubled = cat([angles, angles], -1).unsqueeze(1);                                   // (B, 1, T, d)
        return (doubled.cos().MoveToOuterDisposeScope(), doubled.sin().MoveToOuterDisposeScope());
    }

    /// <summary>Rotates <paramref name="x"/> (B, heads, T, d) by the tables.</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        using var scope = NewDisposeScope();
        long half = x.shape[^1] / 2;
        var rotated = cat([-x.narrow(-1, half, half), x.narrow(-1, 0, half)], -1);      // (−x2, x1)
        return (x * cos.to(x.dtype) + rotated * sin.to(x.dtype)).MoveToOuterDisposeScope();
    }

    /// <summary>The fixed sinusoidal encoding (Vaswani et al.): (B, T, d) with sin on even and cos on odd channels.</summary>
    public static Tensor Sinusoidal(Tensor positionIds, int dim)
    {
        using var scope = NewDisposeScope();
        var frequencies = exp(arange(0, dim, 2, dtype: ScalarType.Float32, device: positionIds.device) * (-Math.Log(10000.0) / dim)); // (d/2)
        var angles = positionIds.to(ScalarType.Float32).unsqueeze(-1) * frequencies;               // (B, T, d/2)
        var interleaved = stack([angles.sin(), angles.cos()], -1).flatten(-2);                      // (B, T, d): sin, cos, sin, cos…
        return interleaved.MoveToOuterDisposeScope();
    }
}
