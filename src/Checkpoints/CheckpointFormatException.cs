namespace MLNet.Transformers.Checkpoints;

/// <summary>
/// A checkpoint or config file that cannot be read: missing, malformed, inconsistent, or in a refused format
/// (pickle). The message always names the file and the problem.
/// </summary>
public sealed class CheckpointFormatException : InvalidOperationException
{
    /// <summary>Creates the exception; the message is prefixed with the file path.</summary>
    /// <param name="filePath">The file (or directory) that could not be read.</param>
    /// <param name="problem">What is wrong with it, and where possible how to fix it.</param>
    /// <param name="innerException">The low-level error that revealed the problem, if any.</param>
    public CheckpointFormatException(string filePath, string problem, Exception? innerException = null)
        : base($"{filePath}: {problem}", innerException)
    {
        FilePath = filePath;
    }

    /// <summary>The file (or directory) that could not be read.</summary>
    public string FilePath { get; }
}
