using System.Runtime.Intrinsics;
using MLNet.Transformers.Training;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.Common;

/// <summary>
/// Dropout masks for bf16 training, drawn from a counter-based hash instead of libtorch's generator. libtorch 2.10's
/// <c>bernoulli_</c> runs one element at a time on one thread (~4.6 ns per element on the 2-core EPYC hosts), so in bf16
/// fine-tuning of MiniLM it was about a fifth of the step while the other core spun; hashing (call key, element index) is
/// vectorised, split across threads, and gives the same mask whatever the thread count.
/// </summary>
/// <remarks>
/// Each call takes a fresh 64-bit key from libtorch's default generator (so <c>manual_seed</c>, which the Trainer sets from
/// the training seed, makes the masks reproducible). Element i is kept when <c>Hash(i, key) ≥ p·2³²</c>. The kept value is
/// <c>1/(1-p)</c> rounded to bf16 — what libtorch's own dropout multiplies a bf16 tensor by (its noise tensor is bf16).
/// </remarks>
internal static unsafe class DropoutMask
{
    /// <summary>
    /// A bf16 tensor shaped like <paramref name="like"/> holding 0 where an element is dropped (probability
    /// <paramref name="p"/>) and bf16(1/(1-p)) where it is kept, so that <c>x * mask</c> is dropout.
    /// </summary>
    public static Tensor Bf16(Tensor like, double p)
    {
        if (p is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(p), p, "Dropout probability must be in [0, 1).");
        long[] key;
        using (var drawn = randint(int.MaxValue, [2], dtype: ScalarType.Int64)) key = drawn.data<long>().ToArray();
        ulong k0 = (ulong)key[0], k1 = (ulong)key[1];
        var mask = empty(like.shape, ScalarType.BFloat16, like.device);
        if (!TensorMemory.IsAddressable(mask, ScalarType.BFloat16))
            throw new InvalidOperationException($"A dropout mask of {mask.numel()} elements on {mask.device} is not addressable; bf16 hashed dropout needs a CPU tensor under 2 GB.");
        Fill((ushort*)TensorMemory.Pointer(mask), mask.numel(), p, (uint)(k0 ^ (k1 << 31)), (uint)(k1 ^ (k0 >> 1)));
        return mask;
    }

    /// <summary>The bf16 bit pattern of 1/(1-p), rounded to nearest even as libtorch rounds a float to bf16.</summary>
    public static ushort KeptValueBits(double p)
    {
        uint bits = BitConverter.SingleToUInt32Bits((float)(1.0 / (1.0 - p)));
        return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }

    /// <summary>Elements at or above this hash are kept: round(p·2³²), so the drop rate is p to within 2⁻³².</summary>
    public static uint Threshold(double p) => (uint)Math.Min(uint.MaxValue, Math.Round(p * 4294967296.0));

    /// <summary>The 32-bit hash of element <paramref name="index"/> under key (<paramref name="keyLow"/>, <paramref name="keyHigh"/>): two rounds of integer mixing.</summary>
    public static uint Hash(uint index, uint keyLow, uint keyHigh)
    {
        uint x = index * 0x9E3779B9u + keyLow;
        x ^= x >> 16; x *= 0x85EBCA6Bu; x ^= x >> 13; x *= 0xC2B2AE35u; x ^= x >> 16;
        x ^= keyHigh;
        x ^= x >> 16; x *= 0x7FEB352Du; x ^= x >> 15; x *= 0x846CA68Bu; x ^= x >> 16;
        return x;
    }

    private static Vector256<uint> Hash(Vector256<uint> index, uint keyLow, uint keyHigh)
    {
        var x = index * 0x9E3779B9u + Vector256.Create(keyLow);
        x ^= x >>> 16; x *= 0x85EBCA6Bu; x ^= x >>> 13; x *= 0xC2B2AE35u; x ^= x >>> 16;
        x ^= Vector256.Create(keyHigh);
        x ^= x >>> 16; x *= 0x7FEB352Du; x ^= x >>> 15; x *= 0x846CA68Bu; x ^= x >>> 16;
        return x;
    }

    /// <summary>Fills <paramref name="mask"/> as a tensor's memory would be filled (for tests of the vector loop).</summary>
    internal static void Fill(ushort[] mask, double p, uint keyLow, uint keyHigh)
    {
        fixed (ushort* m = mask) Fill(m, mask.Length, p, keyLow, keyHigh);
    }

    /// <summary>Fills <paramref name="count"/> bf16 values from <paramref name="mask"/> on libtorch's thread count.</summary>
    internal static void Fill(ushort* mask, long count, double p, uint keyLow, uint keyHigh)
    {
        if (count > uint.MaxValue) throw new ArgumentOutOfRangeException(nameof(count), count, "A dropout mask is limited to 2³² elements.");
        uint threshold = Threshold(p);
        ushort kept = KeptValueBits(p);
        TensorMemory.ForEachChunk([count], (_, _, start, length) => FillRange(mask, (uint)start, (uint)length, threshold, kept, keyLow, keyHigh));
    }

    private static void FillRange(ushort* mask, uint start, uint count, uint threshold, ushort kept, uint keyLow, uint keyHigh)
    {
        uint i = start, end = start + count;
        if (Vector256.IsHardwareAccelerated)
        {
            var lanes = Vector256.Create(0u, 1, 2, 3, 4, 5, 6, 7);
            var limit = Vector256.Create(threshold);
            var keptValue = Vector256.Create((uint)kept);
            for (; end - i >= 16; i += 16)
            {
                var low = Vector256.GreaterThanOrEqual(Hash(Vector256.Create(i) + lanes, keyLow, keyHigh), limit) & keptValue;
                var high = Vector256.GreaterThanOrEqual(Hash(Vector256.Create(i + 8) + lanes, keyLow, keyHigh), limit) & keptValue;
                Vector256.Narrow(low, high).Store(mask + i);
            }
        }
        for (; i < end; i++) mask[i] = Hash(i, keyLow, keyHigh) >= threshold ? kept : (ushort)0;
    }
}
