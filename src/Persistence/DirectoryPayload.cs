namespace MLNet.Transformers.Persistence;

/// <summary>
/// A directory as one binary stream: magic, file count, then per file its relative path ('/'-separated), length and bytes.
/// Reading refuses absolute paths, '..' segments and lengths beyond the stream (a model file is untrusted input).
/// </summary>
internal static class DirectoryPayload
{
    private const int Magic = 0x31524944;   // "DIR1"

    internal static void Write(BinaryWriter w, string root, string[] files)
    {
        w.Write(Magic);
        w.Write(files.Length);
        foreach (string file in files)
        {
            w.Write(Path.GetRelativePath(root, file).Replace(Path.DirectorySeparatorChar, '/'));
            using var input = File.OpenRead(file);
            w.Write(input.Length);
            w.Flush();
            input.CopyTo(w.BaseStream);
        }
    }

    internal static void Read(BinaryReader r, string targetRoot, string itemName)
    {
        if (r.ReadInt32() != Magic) throw Corrupt(itemName, "it is not a saved directory");
        int count = r.ReadInt32();
        if (count < 0) throw Corrupt(itemName, $"negative file count {count}");
        var buffer = new byte[1 << 20];
        for (int i = 0; i < count; i++)
        {
            string relative = r.ReadString();
            string[] parts = relative.Split('/');
            if (relative.Length == 0 || relative.StartsWith('/') || relative.Contains('\\') || relative.Contains(':')
                || parts.Any(p => p is "" or "." or ".."))
                throw Corrupt(itemName, $"invalid file path '{relative}'");
            long length = r.ReadInt64();
            if (length < 0 || length > r.BaseStream.Length - r.BaseStream.Position)
                throw Corrupt(itemName, $"file '{relative}' claims {length} bytes, beyond the end of the stream");
            string target = Path.Combine(targetRoot, Path.Combine(parts));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            using var output = File.Create(target);
            for (long left = length; left > 0;)
            {
                int n = r.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
                if (n <= 0) throw Corrupt(itemName, $"file '{relative}' is truncated");
                output.Write(buffer, 0, n);
                left -= n;
            }
        }
    }

    private static InvalidOperationException Corrupt(string itemName, string problem) =>
        new($"Payload item '{itemName}' in the model file is corrupt: {problem}.");
}
