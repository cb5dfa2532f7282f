using System.Net;

namespace MLNet.Transformers;

/// <summary>
/// Downloads one blob into the cache as huggingface_hub's <c>_download_to_tmp_and_move</c> does: under the blob's lock, into
/// <c>blobs/&lt;etag&gt;.incomplete</c>, resuming what an interrupted download left there with an HTTP Range request, checked
/// against the ETag (<see cref="BlobHash"/>), and only then renamed to <c>blobs/&lt;etag&gt;</c>.
/// </summary>
internal static class HubBlobDownload
{
    private const int ProgressStep = 1 << 20;

    public static void Fetch(HubClient client, HubCacheFolder cache, HubFileMetadata file, string name,
        IProgress<DownloadProgress>? progress, Action<string>? log, CancellationToken ct)
    {
        string blob = cache.Blob(file.Etag);
        if (File.Exists(blob)) return;
        using var held = HubFileLock.Acquire(cache.Lock(file.Etag), log, ct);
        if (File.Exists(blob)) return;   // another process finished it while we waited
        Directory.CreateDirectory(Path.GetDirectoryName(blob)!);
        string incomplete = cache.Incomplete(file.Etag);
        long offset = File.Exists(incomplete) ? new FileInfo(incomplete).Length : 0;
        if (file.Size is long size && offset > size) { File.Delete(incomplete); offset = 0; }
        if (offset > 0) log?.Invoke($"Resuming {name} at {offset:N0} bytes.");
        if (file.Size is not long known || offset < known) Stream(client, file, name, incomplete, offset, progress, ct);
        BlobHash.Verify(incomplete, file.Etag, file.Size, $"'{name}' of {cache.Root}");
        File.Move(incomplete, blob, overwrite: true);
    }

    private static void Stream(HubClient client, HubFileMetadata file, string name, string incomplete, long offset,
        IProgress<DownloadProgress>? progress, CancellationToken ct)
    {
        using var response = client.GetContent(file.Location, offset, ct);
        if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
            throw new InvalidOperationException($"The server refused to resume '{name}' at byte {offset} (416); delete {incomplete} and run again.");
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"Downloading '{name}' from {file.Location} failed: {(int)response.StatusCode} {response.ReasonPhrase}.");
        // A server that ignores Range answers 200 with the whole file: start over rather than append it to the part.
        bool resumed = response.StatusCode == HttpStatusCode.PartialContent;
        if (resumed && response.Content.Headers.ContentRange?.From is long from && from != offset)
            throw new InvalidOperationException($"Resuming '{name}': asked for bytes from {offset}, the server sent from {from}; delete {incomplete} and run again.");
        long done = resumed ? offset : 0;
        using var source = response.Content.ReadAsStream(ct);
        using var target = new FileStream(incomplete, resumed ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None);
        progress?.Report(new DownloadProgress(name, done, file.Size));
        var buffer = new byte[81920];
        long reported = done;
        try
        {
            for (int n; (n = source.Read(buffer)) > 0;)
            {
                ct.ThrowIfCancellationRequested();
                target.Write(buffer, 0, n);
                done += n;
                if (done - reported >= ProgressStep) { progress?.Report(new DownloadProgress(name, done, file.Size)); reported = done; }
            }
        }
        catch (IOException e) when (e is not FileNotFoundException)
        {
            // What arrived stays in the .incomplete file; the next call continues from there.
            target.Flush();
            throw new InvalidOperationException($"Downloading '{name}' was interrupted after {done:N0} of {file.Size?.ToString("N0") ?? "?"} bytes ({e.Message}). " +
                "Run again: the download resumes where it stopped.", e);
        }
        progress?.Report(new DownloadProgress(name, done, file.Size));
    }
}
