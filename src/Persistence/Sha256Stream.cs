using System.Security.Cryptography;

namespace MLNet.Transformers.Persistence;

/// <summary>
/// Passes reads or writes through to an inner stream (left open) and hashes every byte with SHA-256 on the way, so a
/// payload item is hashed while it is saved or restored, without a second copy in memory.
/// </summary>
internal sealed class Sha256Stream(Stream inner) : Stream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    /// <summary>Lower-case hex SHA-256 of the bytes seen so far.</summary>
    public string HashHex() => Convert.ToHexStringLower(_hash.GetCurrentHash());

    /// <summary>Reads (and hashes) the rest of the inner stream, e.g. after a reader stopped early.</summary>
    public void DrainToEnd()
    {
        var buffer = new byte[1 << 16];
        while (Read(buffer, 0, buffer.Length) > 0) { }
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        int n = inner.Read(buffer, offset, count);
        _hash.AppendData(buffer, offset, n);
        return n;
    }

    public override void Write(byte[] buffer, int offset, int count)
    {
        inner.Write(buffer, offset, count);
        _hash.AppendData(buffer, offset, count);
    }

    public override bool CanRead => inner.CanRead;
    public override bool CanWrite => inner.CanWrite;
    public override bool CanSeek => false;
    // Length and Position are reported (readers check lengths against them) but seeking is not allowed: it would skip hashing.
    public override long Length => inner.Length;
    public override long Position { get => inner.Position; set => throw new NotSupportedException(); }
    public override void Flush() => inner.Flush();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _hash.Dispose();
        base.Dispose(disposing);
    }
}
