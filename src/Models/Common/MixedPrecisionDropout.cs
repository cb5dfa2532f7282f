using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.Common;

/// <summary>
/// <c>nn.Dropout</c> as the models use it, except that bf16 activations on the CPU (bf16 mixed-precision training) take
/// their mask from <see cref="DropoutMask"/> rather than libtorch's single-threaded <c>bernoulli_</c>. fp32 activations go
/// through libtorch's dropout unchanged, so fp32 training draws exactly the random numbers it always did.
/// </summary>
internal sealed class MixedPrecisionDropout : nn.Module<Tensor, Tensor>
{
    private readonly double p;

    /// <summary>Drops each element with probability <paramref name="p"/> in training mode and scales the rest by 1/(1-p).</summary>
    public MixedPrecisionDropout(double p) : base(nameof(MixedPrecisionDropout))
    {
        if (p is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(p), p, "Dropout probability must be in [0, 1).");
        this.p = p;
    }

    /// <summary>Dropout of <paramref name="x"/> (identity outside training).</summary>
    public override Tensor forward(Tensor x) => Apply(x, p, training);

    /// <summary>Dropout with probability <paramref name="p"/> when <paramref name="training"/>, as <c>nn.functional.dropout</c>.</summary>
    public static Tensor Apply(Tensor x, double p, bool training)
    {
        if (!training || p == 0) return x.alias();
        if (x.dtype != ScalarType.BFloat16 || x.device_type != DeviceType.CPU) return nn.functional.dropout(x, p, training);
        using var mask = DropoutMask.Bf16(x, p);
        return x * mask;
    }
}
