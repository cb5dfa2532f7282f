using static TorchSharp.torch;

namespace MLNet.Transformers.Training;

/// <summary>Clipping by global L2 norm, as PyTorch's <c>clip_grad_norm_</c> (scale = max / (norm + 1e-6), only when below 1).</summary>
internal static class GradientClipping
{
    /// <summary>Scales <paramref name="gradients"/> in place so their global norm is at most <paramref name="maxNorm"/>; returns the norm before clipping. <paramref name="maxNorm"/> null or 0 only measures.</summary>
    /// <remarks>The norm is summed by libtorch as it always was (fp32 per-tensor sums), so fp32 training stays bit for bit the
    /// reference sequence; the bf16 path uses <see cref="GlobalNorm"/> with the factor folded into the fused optimizer.</remarks>
    public static double ClipByGlobalNorm(IReadOnlyList<Tensor?> gradients, double? maxNorm)
    {
        double norm = LibTorchNorm(gradients);
        double scale = Scale(norm, maxNorm);
        if (scale != 1)
            using (no_grad())
                foreach (var g in gradients) g?.mul_(scale);
        return norm;
    }

    private static double LibTorchNorm(IReadOnlyList<Tensor?> gradients)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var present = gradients.Where(g => g is not null).Select(g => g!).ToList();
        if (present.Count == 0) return 0;
        var squares = stack(present.Select(g => g.to(ScalarType.Float32).pow(2).sum()).ToArray()).sum();
        return Math.Sqrt(squares.item<float>());
    }

    /// <summary>The factor clipping multiplies every gradient by: max / (norm + 1e-6) when that is below 1, else 1 (also when <paramref name="maxNorm"/> is null or 0).</summary>
    public static double Scale(double norm, double? maxNorm) =>
        maxNorm is double max && max > 0 && max / (norm + 1e-6) < 1 ? max / (norm + 1e-6) : 1;

    /// <summary>The L2 norm of all <paramref name="gradients"/> together (fp32 or bf16; nulls skipped). Contiguous CPU gradients are
    /// read once by <see cref="AdamWKernel.SumOfSquares"/> (no squared temporaries); others go through libtorch.</summary>
    public static unsafe double GlobalNorm(IReadOnlyList<Tensor?> gradients)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var direct = new List<Tensor>();
        double squares = 0;
        foreach (var g in gradients)
        {
            if (g is null) continue;
            if (TensorMemory.IsAddressable(g, ScalarType.Float32) || TensorMemory.IsAddressable(g, ScalarType.BFloat16)) direct.Add(g);
            else squares += g.to(ScalarType.Float64).pow(2).sum().item<double>();
        }
        if (direct.Count > 0)
        {
            var pointers = direct.Select(g => ((nint)TensorMemory.Pointer(g), g.dtype == ScalarType.BFloat16)).ToArray();
            var lengths = direct.Select(g => g.numel()).ToArray();
            var partial = new double[TensorMemory.CountChunks(lengths)];   // summed in chunk order: the same norm on every run
            TensorMemory.ForEachChunk(lengths, (chunk, k, start, count) =>
            {
                var (pointer, bf16) = pointers[k];
                partial[chunk] = bf16 ? AdamWKernel.SumOfSquares(null, (ushort*)pointer + start, count)
                    : AdamWKernel.SumOfSquares((float*)pointer + start, null, count);
            });
            GC.KeepAlive(direct);
            squares += partial.Sum();
        }
        return Math.Sqrt(squares);
    }
}
