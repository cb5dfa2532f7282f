namespace MLNet.Transformers;

/// <summary>
/// Progress of one file of a <see cref="HuggingFaceHub.Download(string, string?, IReadOnlyList{string}?, IProgress{DownloadProgress}?, CancellationToken)"/>:
/// reported when the file starts, about every mebibyte while it streams, and when it is complete.
/// </summary>
/// <param name="File">The file's path in the repository, e.g. <c>model.safetensors</c> or <c>1_Pooling/config.json</c>.</param>
/// <param name="BytesDone">Bytes of the file on disk so far, including a part resumed from an earlier, interrupted download.</param>
/// <param name="BytesTotal">The file's size as the Hub announced it, or null when the server did not say.</param>
public sealed record DownloadProgress(string File, long BytesDone, long? BytesTotal);
