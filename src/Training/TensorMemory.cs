using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Transformers.Training;

/// <summary>
/// Raw access to CPU tensors for the fused optimizer kernels, and a parallel loop over fixed-size chunks of several tensors
/// on libtorch's thread count (work-stealing, so a thread descheduled on a shared machine does not stall the others the way
/// an OpenMP barrier does).
/// </summary>
internal static unsafe class TensorMemory
{
    /// <summary>Elements per work item: 256 KB of fp32, large enough to amortise scheduling, small enough to balance.</summary>
    public const long ChunkElements = 1 << 16;

    /// <summary>Whether <paramref name="t"/> is a dense CPU tensor of <paramref name="type"/> whose memory a kernel may walk linearly.</summary>
    public static bool IsAddressable(Tensor? t, ScalarType type) =>
        t is not null && t.device_type == DeviceType.CPU && t.dtype == type && t.is_contiguous()
        && t.numel() * t.element_size() <= int.MaxValue;

    /// <summary>The first element of an addressable tensor (see <see cref="IsAddressable"/>); valid while the tensor lives.</summary>
    public static void* Pointer(Tensor t) => Unsafe.AsPointer(ref MemoryMarshal.GetReference(t.bytes));

    /// <summary>How many chunks <see cref="ForEachChunk"/> makes of tensors of <paramref name="lengths"/> elements.</summary>
    public static int CountChunks(IReadOnlyList<long> lengths) => (int)lengths.Sum(n => (n + ChunkElements - 1) / ChunkElements);

    /// <summary>
    /// Runs <paramref name="body"/>(chunk, tensor index, start, count) over every chunk of tensors of <paramref name="lengths"/>
    /// elements; chunks are numbered 0 … <see cref="CountChunks"/> - 1 in tensor order, whatever thread runs them.
    /// </summary>
    public static void ForEachChunk(IReadOnlyList<long> lengths, Action<int, int, long, long> body)
    {
        var work = new List<(int Tensor, long Start, long Count)>();
        for (int t = 0; t < lengths.Count; t++)
            for (long start = 0; start < lengths[t]; start += ChunkElements)
                work.Add((t, start, Math.Min(ChunkElements, lengths[t] - start)));
        int threads = Math.Max(1, get_num_threads());
        if (threads == 1 || work.Count == 1)
        {
            for (int j = 0; j < work.Count; j++) body(j, work[j].Tensor, work[j].Start, work[j].Count);
            return;
        }
        Parallel.For(0, work.Count, new ParallelOptions { MaxDegreeOfParallelism = threads },
            j => body(j, work[j].Tensor, work[j].Start, work[j].Count));
    }
}
