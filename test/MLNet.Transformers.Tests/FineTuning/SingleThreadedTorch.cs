using static TorchSharp.torch;

namespace MLNet.Transformers.Tests.FineTuning;

/// <summary>
/// Runs torch on one thread for the duration of a test (restored on dispose). Hidden-32 models gain nothing from more
/// threads, and on a loaded 2-core machine OpenMP's second thread made a tiny model's training step ~30× slower
/// (10 forward+backward: 25.9 s on 2 threads vs 0.77 s on 1, load average 32).
/// </summary>
internal sealed class SingleThreadedTorch : IDisposable
{
    private readonly int previous = get_num_threads();

    public SingleThreadedTorch() => set_num_threads(1);

    public void Dispose() => set_num_threads(previous);
}
