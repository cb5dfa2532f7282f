using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using MLNet.Transformers.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.Common;

/// <summary>
/// Dropout masks for bf16 training, drawn from a counter-based hash instead of libtorch's generator. libtorch 2.10's
/// <c>bernoulli_</c> runs one element at a time on one thread (~4.6 ns per element on the 2-core EPYC hosts), so in bf16
/// fine-tuning of MiniLM it was about a fifth of the step while the other core spun; hashing (call key, element index) is
/// vectorised (~0.1 ns per element) and gives the same mask whatever the thread count.
/// </summary>
/// <remarks>
/// Each call takes a fresh 64-bit key from libtorch's default generator (so <c>manual_seed</c>, which the Trainer sets from
/// the training seed, makes the masks reproducible). Elements 2j and 2j+1 are kept when the low and high 16 bits of <c>Hash(j, key)</c> are ≥ p·2¹⁶. The kept value is
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
        // Checked before allocating, so a refused mask is not left behind.
        long count = like.numel();
        if (like.device_type != DeviceType.CPU || count * sizeof(ushort) > int.MaxValue)
            throw new InvalidOperationException($"A dropout mask of {count} elements on {like.device} is not addressable; bf16 hashed dropout needs a CPU tensor under 2 GB.");
        var mask = empty(like.shape, ScalarType.BFloat16, like.device);
        Fill((ushort*)TensorMemory.Pointer(mask), count, p, (uint)(k0 ^ (k1 << 31)), (uint)(k1 ^ (k0 >> 1)));
        return mask;
    }

    /// <summary>The bf16 bit pattern of 1/(1-p), rounded to nearest even as libtorch rounds a float to bf16.</summary>
    public static ushort KeptValueBits(double p)
    {
        uint bits = BitConverter.SingleToUInt32Bits((float)(1.0 / (1.0 - p)));
        return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }

    /// <summary>An element is kept when its 16-bit draw is at or above round(p·2¹⁶): the drop rate is p to within 2⁻¹⁷.</summary>
    public static uint Threshold(double p) => (uint)Math.Min(65535, Math.Round(p * 65536.0));

    /// <summary>
    /// The 32-bit hash of element pair <paramref name="pair"/> under key (<paramref name="keyLow"/>, <paramref name="keyHigh"/>):
    /// its low 16 bits decide element 2·pair, its high 16 bits element 2·pair + 1. A Weyl step and a two-multiply mix
    /// (lowbias32's constants) with the key's high half folded in between.
    /// </summary>
    public static uint Hash(uint pair, uint keyLow, uint keyHigh)
    {
        uint x = pair * 0x9E3779B9u + keyLow;
        x ^= x >> 16; x *= 0x7FEB352Du; x ^= keyHigh; x ^= x >> 15; x *= 0x846CA68Bu; x ^= x >> 16;
        return x;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> Hash(Vector256<uint> pair, uint keyLow, uint keyHigh)
    {
        var x = pair * 0x9E3779B9u + Vector256.Create(keyLow);
        x ^= x >>> 16; x *= 0x7FEB352Du; x ^= Vector256.Create(keyHigh); x ^= x >>> 15; x *= 0x846CA68Bu; x ^= x >>> 16;
        return x;
    }

    /// <summary>Fills <paramref name="mask"/> as a tensor's memory would be filled (for tests of the vector loop).</summary>
    internal static void Fill(ushort[] mask, double p, uint keyLow, uint keyHigh)
    {
        fixed (ushort* m = mask) Fill(m, mask.Length, p, keyLow, keyHigh);
    }

    /// <summary>
    /// Fills <paramref name="count"/> bf16 values at <paramref name="mask"/> on the calling thread: a MiniLM bf16 step's
    /// 19 masks (~20M values) take ~2 ms so, and 6 ms split across .NET's thread pool, whose second thread competes with
    /// libtorch's OpenMP worker still spinning after the previous op (measured on the 2-core hosts).
    /// </summary>
    internal static void Fill(ushort* mask, long count, double p, uint keyLow, uint keyHigh)
    {
        if (count > uint.MaxValue) throw new ArgumentOutOfRangeException(nameof(count), count, "A dropout mask is limited to 2³² elements.");
        FillRange(mask, (uint)count, Threshold(p), KeptValueBits(p), keyLow, keyHigh);
    }

    // Works on element pairs; an odd count's last element is the low half of a pair.
    // Fully optimised from the first call: tier-0 code does not inline the vector operators.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FillRange(ushort* mask, uint count, uint threshold, ushort kept, uint keyLow, uint keyHigh)
    {
        uint i = 0, end = count;
        if (Vector256.IsHardwareAccelerated)
        {
            var lanes = Vector256.Create(0u, 1, 2, 3, 4, 5, 6, 7);
            var limit = Vector256.Create(threshold);
            var keptLow = Vector256.Create((uint)kept);
            var keptHigh = Vector256.Create((uint)kept << 16);
            var low16 = Vector256.Create(0xFFFFu);
            for (; end - i >= 16; i += 16)
            {
                var h = Hash(Vector256.Create(i / 2) + lanes, keyLow, keyHigh);
                var even = Vector256.GreaterThanOrEqual(h & low16, limit) & keptLow;
                var odd = Vector256.GreaterThanOrEqual(h >>> 16, limit) & keptHigh;
                (even | odd).AsUInt16().Store(mask + i);   // little-endian: each lane's low half is the even element
            }
        }
        for (; i < end; i++)
        {
            uint h = Hash(i / 2, keyLow, keyHigh);
            mask[i] = ((i & 1) == 0 ? h & 0xFFFF : h >> 16) >= threshold ? kept : (ushort)0;
        }
    }
}
