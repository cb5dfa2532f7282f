namespace MLNet.Transformers;

/// <summary>
/// What a <c>HEAD /{id}/resolve/{commit}/{file}</c> says about one file (huggingface_hub's <c>HfFileMetadata</c>): the
/// commit, the ETag (an LFS file's sha256 from <c>X-Linked-Etag</c>, else the git blob sha1), the size (<c>X-Linked-Size</c>,
/// else <c>Content-Length</c>) and where the bytes are (the 302's target for LFS files, else the resolve URL).
/// </summary>
internal sealed record HubFileMetadata(string Commit, string Etag, long? Size, Uri Location);
