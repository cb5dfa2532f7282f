namespace MLNet.Transformers;

/// <summary>
/// An exclusive lock on <c>.locks/models--org--name/&lt;etag&gt;.lock</c>, held while one blob downloads, as huggingface_hub
/// holds a <c>filelock.FileLock</c> there. .NET opens with <see cref="FileShare.None"/> through an advisory <c>flock</c> on
/// Unix, the call Python's filelock makes, so .NET and Python processes (and threads of one process) exclude each other.
/// The lock file is left in place, as filelock leaves it: deleting it could let a third process lock a different inode.
/// </summary>
internal sealed class HubFileLock : IDisposable
{
    private readonly FileStream stream;

    private HubFileLock(FileStream stream) => this.stream = stream;

    /// <summary>Waits (polling, cancellable) until no other process or thread holds the lock, then holds it.</summary>
    public static HubFileLock Acquire(string path, Action<string>? log, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        bool told = false;
        while (true)
        {
            try
            {
                return new HubFileLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException)
            {
                if (!told) log?.Invoke($"Waiting for another download to release {path}.");
                told = true;
                ct.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(100));
                ct.ThrowIfCancellationRequested();
            }
        }
    }

    public void Dispose() => stream.Dispose();
}
