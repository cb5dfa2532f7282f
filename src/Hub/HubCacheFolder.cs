namespace MLNet.Transformers;

/// <summary>
/// One repository's folder in the hub cache, in huggingface_hub's layout so Python and .NET share downloads:
/// <c>models--org--name/blobs/&lt;etag&gt;</c> (the content, named by its ETag), <c>snapshots/&lt;commit&gt;/&lt;file&gt;</c>
/// (a relative symlink to the blob, a copy where symlinks are not allowed), <c>refs/&lt;revision&gt;</c> (the commit a branch or
/// tag pointed to), and lock files under <c>.locks/models--org--name/&lt;etag&gt;.lock</c>.
/// </summary>
internal sealed class HubCacheFolder(string cacheDirectory, HubRepoId repo)
{
    public string CacheDirectory { get; } = cacheDirectory;

    public string Root { get; } = Path.Combine(cacheDirectory, repo.FolderName);

    public string Blob(string etag) => Path.Combine(Root, "blobs", etag);

    public string Incomplete(string etag) => Blob(etag) + ".incomplete";

    public string Lock(string etag) => Path.Combine(CacheDirectory, ".locks", repo.FolderName, etag + ".lock");

    public string Snapshot(string commit) => Path.Combine(Root, "snapshots", commit);

    public string SnapshotFile(string commit, string file) => Path.Combine(Snapshot(commit), file.Replace('/', Path.DirectorySeparatorChar));

    private string RefPath(string revision) => Path.Combine(Root, "refs", revision.Replace('/', Path.DirectorySeparatorChar));

    /// <summary>The commit <paramref name="revision"/> resolves to in the cache: itself when it is a commit hash, else refs/&lt;revision&gt;'s.</summary>
    public string? CachedCommit(string revision)
    {
        if (HubRepoId.IsCommitHash(revision)) return Directory.Exists(Snapshot(revision)) ? revision : null;
        var path = RefPath(revision);
        return File.Exists(path) && File.ReadAllText(path).Trim() is { Length: > 0 } commit ? commit : null;
    }

    /// <summary>Records that <paramref name="revision"/> points at <paramref name="commit"/> (huggingface_hub writes no ref for a commit hash).</summary>
    public void WriteRef(string revision, string commit)
    {
        if (revision == commit) return;
        var path = RefPath(revision);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (File.Exists(path) && File.ReadAllText(path).Trim() == commit) return;
        File.WriteAllText(path, commit);
    }

    /// <summary>True when the snapshot has the file and, for a symlink, its blob is there too.</summary>
    public static bool HasFile(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists) return false;
        return info.LinkTarget is null || info.ResolveLinkTarget(returnFinalTarget: true)?.Exists == true;
    }

    /// <summary>
    /// Points the snapshot's file at the blob: a symlink relative to the link's folder (<c>../../blobs/&lt;etag&gt;</c>, as
    /// huggingface_hub's <c>_create_symlink</c>) so the cache can move; a copy where the file system refuses symlinks. The link
    /// is made under a temporary name and renamed into place, so a concurrent reader never sees a missing or half-made file.
    /// </summary>
    public void Link(string commit, string file, string etag)
    {
        string pointer = SnapshotFile(commit, file), blob = Blob(etag);
        string folder = Path.GetDirectoryName(pointer)!;
        Directory.CreateDirectory(folder);
        string temporary = Path.Combine(folder, $".{Path.GetFileName(pointer)}.{Guid.NewGuid():N}.tmp");
        try
        {
            File.CreateSymbolicLink(temporary, Path.GetRelativePath(folder, blob));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            File.Copy(blob, temporary, overwrite: true);
        }
        File.Move(temporary, pointer, overwrite: true);
    }
}
