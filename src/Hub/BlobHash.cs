using System.Security.Cryptography;
using System.Text;

namespace MLNet.Transformers;

/// <summary>
/// Checks a downloaded blob against its ETag before it moves into the cache. The Hub's ETag is the file's sha256 for an LFS
/// file (64 hex digits) and its git blob sha1 (sha1 of <c>"blob &lt;size&gt;\0"</c> + content, 40 hex digits) for a file kept in
/// git; any other ETag (a mirror's own) cannot be checked, so only the size is.
/// </summary>
internal static class BlobHash
{
    public static void Verify(string path, string etag, long? expectedSize, string what)
    {
        long length = new FileInfo(path).Length;
        if (expectedSize is long size && length != size)
            Fail(path, $"{what} has {length} bytes but the Hub announced {size}");
        string? actual = IsHex(etag, 64) ? Hash(path, HashAlgorithmName.SHA256, prefix: null)
            : IsHex(etag, 40) ? Hash(path, HashAlgorithmName.SHA1, prefix: $"blob {length}\0")
            : null;
        if (actual is not null && !string.Equals(actual, etag, StringComparison.OrdinalIgnoreCase))
            Fail(path, $"{what} has {(etag.Length == 64 ? "sha256" : "git sha1")} {actual} but its ETag is {etag}");
    }

    private static void Fail(string path, string problem)
    {
        File.Delete(path);
        throw new InvalidOperationException($"{problem}: the download is corrupt (or the server sends something else than it announces), so it was " +
            "deleted and not cached. Run again to download it afresh; if it repeats, check HF_ENDPOINT and any proxy in between.");
    }

    private static bool IsHex(string text, int length) => text.Length == length && text.All(Uri.IsHexDigit);

    private static string Hash(string path, HashAlgorithmName algorithm, string? prefix)
    {
        using var hash = IncrementalHash.CreateHash(algorithm);
        if (prefix is not null) hash.AppendData(Encoding.ASCII.GetBytes(prefix));
        using var stream = File.OpenRead(path);
        var buffer = new byte[1 << 20];
        for (int n; (n = stream.Read(buffer)) > 0;) hash.AppendData(buffer, 0, n);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
