using static TorchSharp.torch;

namespace MLNet.Transformers.Training;

/// <summary>Clipping by global L2 norm, as PyTorch's <c>clip_grad_norm_</c> (scale = max / (norm + 1e-6), only when below 1).</summary>
internal static class GradientClipping
{
    /// <summary>Scales <paramref name="gradients"/> in place so their global norm is at most <paramref name="maxNorm"/>; returns the norm before clipping. <paramref name="maxNorm"/> null or 0 only measures.</summary>
    public static double ClipByGlobalNorm(IReadOnlyList<Tensor?> gradients, double? maxNorm)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var present = gradients.Where(g => g is not null).Select(g => g!).ToList();
        if (present.Count == 0) return 0;
        var squares = stack(present.Select(g => g.to(ScalarType.Float32).pow(2).sum()).ToArray()).sum();
        double norm = Math.Sqrt(squares.item<float>());
        if (maxNorm is double max && max > 0)
        {
            double scale = max / (norm + 1e-6);
            if (scale < 1)
                foreach (var g in present) g.mul_(scale);
        }
        return norm;
    }
}
