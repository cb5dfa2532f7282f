namespace MLNet.Transformers;

/// <summary>
/// One <see cref="HuggingFaceHub.Download(string, string?, IReadOnlyList{string}?, IProgress{DownloadProgress}?, CancellationToken)"/>,
/// as huggingface_hub's <c>snapshot_download</c>: resolve the revision to a commit through the revision API, fetch each wanted
/// file at that commit (a file already in <c>snapshots/&lt;commit&gt;</c> costs no request), record <c>refs/&lt;revision&gt;</c>
/// and return the snapshot folder. Offline, or when the Hub cannot be reached, the revision resolves from the cache alone.
/// </summary>
internal sealed class HubSnapshotDownload(HubOptions options, HubRepoId repo, IProgress<DownloadProgress>? progress, Action<string>? log, CancellationToken ct)
{
    private readonly HubCacheFolder cache = new(options.CacheDirectory, repo);
    private readonly HubClient client = new(options, repo);

    private string Revision => repo.Revision ?? "main";

    private string Label => $"'{repo.RepoId}' at revision '{Revision}'";

    public string Run(IReadOnlyList<string>? files, HubFileSet set)
    {
        if (options.Offline) return FromCache(files, set, "HF_HUB_OFFLINE is set");
        HubRevisionInfo info;
        try
        {
            info = client.GetRevision(Revision, ct);
        }
        catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !ct.IsCancellationRequested))
        {
            // huggingface_hub falls back to the cache when the Hub cannot be reached (no network, a timeout).
            return FromCache(files, set, $"{options.Endpoint} could not be reached ({e.Message})");
        }
        string commit = info.Commit;
        if (files is not null)
        {
            var absent = files.Where(f => !info.Files.Contains(f)).ToList();
            if (absent.Count > 0) throw HubFileSelection.Missing(absent, info, Label);
            foreach (var file in files) Fetch(commit, file);
        }
        else
        {
            var initial = HubFileSelection.Initial(info, set, Label);
            foreach (var file in initial) Fetch(commit, file);
            if (initial.Contains(HubFileSelection.ShardIndex))
                foreach (var shard in HubFileSelection.Shards(cache.SnapshotFile(commit, HubFileSelection.ShardIndex), info, Label)) Fetch(commit, shard);
            if (initial.Contains(HubFileSelection.Modules))
                foreach (var file in HubFileSelection.ModuleFiles(cache.SnapshotFile(commit, HubFileSelection.Modules), info)) Fetch(commit, file);
        }
        cache.WriteRef(Revision, commit);
        return cache.Snapshot(commit);
    }

    private void Fetch(string commit, string file)
    {
        if (HubCacheFolder.HasFile(cache.SnapshotFile(commit, file))) return;
        var metadata = client.Head(commit, file, ct);
        if (!File.Exists(cache.Blob(metadata.Etag)))
        {
            log?.Invoke($"Downloading {repo.RepoId}/{file}{(metadata.Size is long size ? $" ({size / 1e6:F1} MB)" : "")} from {options.Endpoint} into {cache.Root}.");
            HubBlobDownload.Fetch(client, cache, metadata, file, progress, log, ct);
        }
        cache.Link(commit, file, metadata.Etag);
    }

    // As huggingface_hub offline: a commit hash names its snapshot folder, anything else is looked up in refs/.
    private string FromCache(IReadOnlyList<string>? files, HubFileSet set, string why)
    {
        string? commit = cache.CachedCommit(Revision);
        string? snapshot = commit is null ? null : cache.Snapshot(commit);
        if (snapshot is null || !Directory.Exists(snapshot))
            throw new InvalidOperationException($"{why}, and {Label} is not in the cache {options.CacheDirectory} (no " +
                $"{(HubRepoId.IsCommitHash(Revision) ? $"snapshots/{Revision}" : $"refs/{Revision}")} under {repo.FolderName}). Download it once online " +
                "(unset HF_HUB_OFFLINE), or point HF_HUB_CACHE / HF_HOME at the cache that has it.");
        // Without the file list only config.json can be required; a missing weight or vocabulary is named by the loader.
        IReadOnlyList<string> needed = files ?? (set == HubFileSet.Checkpoint ? ["config.json"] : []);
        var absent = needed.Where(f => !HubCacheFolder.HasFile(cache.SnapshotFile(commit!, f))).ToList();
        if (absent.Count > 0)
            throw new InvalidOperationException($"{why}, and the cached snapshot {snapshot} of {Label} lacks {string.Join(", ", absent)}. " +
                "Download it online once more (unset HF_HUB_OFFLINE) to complete it.");
        log?.Invoke($"{why}: using the cached snapshot {snapshot}.");
        return snapshot;
    }
}
