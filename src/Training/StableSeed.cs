namespace MLNet.Transformers.Training;

/// <summary>
/// Derives a child seed from a seed and counters (epoch, batch, ...) the same way in every process.
/// .NET's <c>HashCode.Combine</c> and <c>string.GetHashCode</c> are randomised per process, so a seed built from them
/// gives different batches after a restart and breaks "resume in a new process == straight run". This uses
/// SplitMix64's finaliser (Steele, Lea, Flood 2014), a fixed bijective mix of 64-bit integers.
/// </summary>
internal static class StableSeed
{
    /// <summary>A non-negative 31-bit seed mixed from <paramref name="seed"/> and <paramref name="parts"/> (order matters).</summary>
    public static int Mix(int seed, params int[] parts)
    {
        ulong state = SplitMix((ulong)(uint)seed);
        foreach (int part in parts)
            state = SplitMix(state ^ (ulong)(uint)part);
        return (int)(state >> 33);
    }

    private static ulong SplitMix(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }
}
