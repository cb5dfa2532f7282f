using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.T5;

/// <summary>
/// T5's RMS layer norm (HF <c>T5LayerNorm</c>): scale only, no mean subtraction, no bias. The mean square is taken
/// in fp32 so bf16/f16 weights do not lose the statistics; the result goes back to the weight's dtype.
/// </summary>
internal sealed class T5LayerNorm : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly double eps;

    /// <summary>A norm over the last dimension of size <paramref name="size"/>, weight initialised to one.</summary>
    public T5LayerNorm(int size, double eps) : base(nameof(T5LayerNorm))
    {
        weight = nn.Parameter(ones(size));
        this.eps = eps;
        RegisterComponents();
    }

    /// <summary>weight · x / sqrt(mean(x²) + eps) over the last dimension.</summary>
    public override Tensor forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        var variance = hidden.to(ScalarType.Float32).pow(2).mean(new long[] { -1 }, keepdim: true);
        var normed = hidden * rsqrt(variance + eps);
        if (weight.dtype is ScalarType.Float16 or ScalarType.BFloat16) normed = normed.to(weight.dtype);
        return (weight * normed).MoveToOuterDisposeScope();
    }
}
