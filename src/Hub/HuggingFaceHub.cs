namespace MLNet.Transformers;

/// <summary>
/// Downloads model repositories from the Hugging Face Hub into the Hub's own cache layout (shared with Python's
/// <c>huggingface_hub</c>) and returns the local folder every estimator takes. Estimators call it for you when a checkpoint
/// option is <c>"org/name"</c> or <c>"org/name@revision"</c>; call it directly to fetch ahead of time or to fetch other files.
/// </summary>
public static class HuggingFaceHub
{
    /// <summary>
    /// Downloads (or finds in the cache) <paramref name="repoId"/> at <paramref name="revision"/> and returns its snapshot
    /// folder, <c>&lt;cache&gt;/models--org--name/snapshots/&lt;commit&gt;</c>. Options come from the environment
    /// (<see cref="HubOptions.FromEnvironment"/>: <c>HF_ENDPOINT</c>, <c>HF_HUB_CACHE</c>/<c>HF_HOME</c>, <c>HF_TOKEN</c>, <c>HF_HUB_OFFLINE</c>).
    /// </summary>
    /// <param name="repoId">The repository, <c>org/name</c>.</param>
    /// <param name="revision">A branch, a tag or a commit hash; null = <c>main</c>.</param>
    /// <param name="files">Paths in the repository to fetch; null = what a checkpoint needs (config.json, safetensors weights
    /// single or sharded, tokenizer files, sentence-transformers modules). A repository with only <c>pytorch_model.bin</c> is refused.</param>
    /// <param name="progress">Receives each file's bytes as they arrive.</param>
    /// <param name="ct">Cancels the download; a partial file stays as <c>.incomplete</c> and the next call resumes it.</param>
    /// <exception cref="InvalidOperationException">The repository or revision does not exist, access needs <c>HF_TOKEN</c>, a needed file
    /// is missing (the message lists the repository's files), offline with nothing cached, or a download does not match its sha256.</exception>
    public static string Download(string repoId, string? revision = null, IReadOnlyList<string>? files = null,
        IProgress<DownloadProgress>? progress = null, CancellationToken ct = default) =>
        Download(HubOptions.FromEnvironment(), repoId, revision, files, progress, ct);

    /// <summary>As the other overload, with explicit options instead of the environment's.</summary>
    /// <param name="options">Endpoint, cache folder, token and offline mode.</param>
    /// <param name="repoId">The repository, <c>org/name</c>.</param>
    /// <param name="revision">A branch, a tag or a commit hash; null = <c>main</c>.</param>
    /// <param name="files">Paths in the repository to fetch; null = what a checkpoint needs.</param>
    /// <param name="progress">Receives each file's bytes as they arrive.</param>
    /// <param name="ct">Cancels the download.</param>
    public static string Download(HubOptions options, string repoId, string? revision = null, IReadOnlyList<string>? files = null,
        IProgress<DownloadProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(repoId) || !HubRepoId.IsRepoId(repoId))
            throw new ArgumentException($"'{repoId}' is not a Hub repository id: write it 'org/name' (letters, digits, '-', '_', '.').", nameof(repoId));
        if (revision is { } r && (r.Length == 0 || r.Any(char.IsWhiteSpace)))
            throw new ArgumentException($"Revision '{revision}' is not a branch, tag or commit name.", nameof(revision));
        if (files is not null && files.Any(f => string.IsNullOrWhiteSpace(f) || f.StartsWith('/') || f.Split('/').Contains("..")))
            throw new ArgumentException("Every file must be a relative path inside the repository, e.g. 'config.json' or '1_Pooling/config.json'.", nameof(files));
        return Download(options, new HubRepoId(repoId, revision), files, HubFileSet.Checkpoint, progress, log: null, ct);
    }

    internal static string Download(HubOptions options, HubRepoId repo, IReadOnlyList<string>? files, HubFileSet set,
        IProgress<DownloadProgress>? progress, Action<string>? log, CancellationToken ct) =>
        new HubSnapshotDownload(options, repo, progress, log, ct).Run(files, set);
}
