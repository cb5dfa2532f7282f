using Microsoft.ML.Runtime;
using MLNet.Transformers.Onnx;

namespace MLNet.Transformers.Checkpoints;

/// <summary>
/// The one place a checkpoint option becomes a local folder, as <c>from_pretrained</c> resolves its argument: an existing
/// folder is taken as it is; an existing <c>.onnx</c> file is imported once into a cached HF-layout folder
/// (<see cref="OnnxCheckpoint.ImportCached(string)"/>); <c>org/name</c> or <c>org/name@revision</c> is downloaded from the Hugging Face
/// Hub (<see cref="HuggingFaceHub"/>). Estimators call it once, at construction, and keep the folder it returns.
/// </summary>
internal static class CheckpointSource
{
    private const long LargeFile = 10_000_000;

    /// <summary>The local folder <paramref name="checkpoint"/> stands for; <paramref name="option"/> names the option in errors.</summary>
    /// <param name="checkpoint">A folder, an .onnx file or a Hub id.</param>
    /// <param name="option">The option's name as the user wrote it, e.g. <c>CheckpointDirectory</c>.</param>
    /// <param name="paramName">The parameter name the <see cref="ArgumentException"/> carries.</param>
    /// <param name="env">Where download messages are logged (the MLContext's log), or null.</param>
    /// <param name="set">What a Hub download fetches: a whole checkpoint, or only tokenizer files.</param>
    public static string Resolve(string? checkpoint, string option, string paramName, IHostEnvironment? env, HubFileSet set = HubFileSet.Checkpoint)
    {
        if (string.IsNullOrWhiteSpace(checkpoint))
            throw new ArgumentException($"{option} is empty: give a checkpoint folder, an .onnx file or a Hugging Face Hub id ('org/name').", paramName);
        if (Directory.Exists(checkpoint)) return checkpoint;
        if (checkpoint.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase) && File.Exists(checkpoint)) return OnnxCheckpoint.ImportCached(checkpoint);
        if (!HubRepoId.TryParse(checkpoint, out var repo))
            throw new ArgumentException($"{option} '{checkpoint}' is neither an existing folder, an existing .onnx file nor a Hugging Face Hub id " +
                "('org/name' or 'org/name@revision').", paramName);
        using var channel = env?.Start("HuggingFaceHub");
        Action<string>? log = channel is null ? null : message => channel.Info(message);
        try
        {
            return HuggingFaceHub.Download(HubOptions.FromEnvironment(), repo, files: null, set, LargeFileProgress(log), log, CancellationToken.None);
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidOperationException($"{option} '{checkpoint}' is not an existing folder, so it was taken as a Hugging Face Hub id: {e.Message}", e);
        }
    }

    /// <summary>As <see cref="Resolve"/> for an optional option: null stays null.</summary>
    public static string? ResolveOptional(string? checkpoint, string option, string paramName, IHostEnvironment? env, HubFileSet set = HubFileSet.Checkpoint) =>
        checkpoint is null ? null : Resolve(checkpoint, option, paramName, env, set);

    // The MLContext log gets a line per tenth of a large file, not one per mebibyte.
    private static IProgress<DownloadProgress>? LargeFileProgress(Action<string>? log)
    {
        if (log is null) return null;
        var lastTenth = new Dictionary<string, long>();
        return new SynchronousProgress(p =>
        {
            if (p.BytesTotal is not long total || total < LargeFile) return;
            long tenth = p.BytesDone * 10 / total;
            if (lastTenth.TryGetValue(p.File, out var last) && last == tenth) return;
            lastTenth[p.File] = tenth;
            log($"{p.File}: {p.BytesDone / 1e6:F0} of {total / 1e6:F0} MB");
        });
    }

    // Progress<T> posts to the thread pool; the log should read in order, on the downloading thread.
    private sealed class SynchronousProgress(Action<DownloadProgress> report) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value) => report(value);
    }
}
