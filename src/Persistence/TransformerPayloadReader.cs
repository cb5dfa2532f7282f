using System.Text.Json;
using Microsoft.ML;

namespace MLNet.Transformers.Persistence;

/// <summary>Reads the items a transformer saved with <see cref="TransformerPayloadWriter"/>.</summary>
public sealed class TransformerPayloadReader
{
    private readonly ModelLoadContext _ctx;
    private readonly Dictionary<string, string>? _sha256;   // null for models saved before checksums were written

    internal TransformerPayloadReader(ModelLoadContext ctx, bool requireChecksums)
    {
        _ctx = ctx;
        byte[]? json = null;
        if (!ctx.TryLoadBinaryStream(PayloadNames.ChecksumStreamName, r => json = r.ReadBytes(checked((int)(r.BaseStream.Length - r.BaseStream.Position)))))
        {
            if (requireChecksums) throw Corrupt(PayloadNames.ChecksumStreamName, "the checksum list is missing (the model file was modified after saving)");
            return;
        }
        try { _sha256 = JsonSerializer.Deserialize<Dictionary<string, string>>(json) ?? throw new JsonException("null"); }
        catch (JsonException e) { throw Corrupt(PayloadNames.ChecksumStreamName, $"the checksum list is not valid JSON ({e.Message})", e); }
    }

    /// <summary>Whether the item <paramref name="name"/> was saved (lets a newer transformer read older models).</summary>
    public bool Contains(string name)
    {
        PayloadNames.Validate(name);
        return _ctx.TryLoadBinaryStream(PayloadNames.StreamName(name), _ => { });
    }

    /// <summary>Returns the bytes saved as <paramref name="name"/>.</summary>
    public byte[] ReadBytes(string name)
    {
        byte[]? bytes = null;
        Load(name, r =>
        {
            long length = r.BaseStream.Length - r.BaseStream.Position;
            bytes = r.ReadBytes(checked((int)length));
        });
        return bytes!;
    }

    /// <summary>Deserialises the JSON item <paramref name="name"/>.</summary>
    public T ReadJson<T>(string name)
    {
        byte[] bytes = ReadBytes(name);
        try { return JsonSerializer.Deserialize<T>(bytes) ?? throw Corrupt(name, "it holds JSON null"); }
        catch (JsonException e) { throw Corrupt(name, $"it is not valid {typeof(T).Name} JSON: {e.Message}", e); }
    }

    /// <summary>
    /// Whether the JSON object saved as <paramref name="name"/> has the top-level property <paramref name="property"/>: tells a
    /// field missing from a model saved before it existed from one saved with its default.
    /// </summary>
    internal bool JsonHasProperty(string name, string property)
    {
        try
        {
            using var document = JsonDocument.Parse(ReadBytes(name));
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty(property, out _);
        }
        catch (JsonException e) { throw Corrupt(name, $"it is not valid JSON: {e.Message}", e); }
    }

    /// <summary>
    /// Deserialises the JSON item <paramref name="name"/> and checks it with <paramref name="validate"/> (which throws
    /// <see cref="ArgumentException"/>), so invalid saved settings fail at <c>Model.Load</c>, not at first use.
    /// </summary>
    public T ReadSettings<T>(string name, Action<T> validate)
    {
        T settings = ReadJson<T>(name);
        try { validate(settings); }
        catch (ArgumentException e) { throw Corrupt(name, $"it holds invalid {typeof(T).Name}: {e.Message}", e); }
        return settings;
    }

    /// <summary>
    /// Recreates the directory saved as <paramref name="name"/> under a new temporary directory; dispose the result to
    /// delete it once the files are loaded.
    /// </summary>
    public RestoredDirectory RestoreDirectory(string name)
    {
        var restored = new RestoredDirectory(Path.Combine(Path.GetTempPath(), "mlnet-transformers-" + Guid.NewGuid().ToString("N")));
        try
        {
            Load(name, r => DirectoryPayload.Read(r, restored.Path, name));
            return restored;
        }
        catch
        {
            restored.Dispose();
            throw;
        }
    }

    // Reads an item while hashing it, then compares with the SHA-256 saved with the model. A damaged item is reported as
    // such even when the damage first made the item unreadable (the read error is kept as the inner exception).
    private void Load(string name, Action<BinaryReader> read)
    {
        PayloadNames.Validate(name);
        string? expected = null;
        if (_sha256 is not null && !_sha256.TryGetValue(name, out expected))
            throw Corrupt(name, "it has no saved checksum (an item was added to the model file after saving)");
        bool found = _ctx.TryLoadBinaryStream(PayloadNames.StreamName(name), r =>
        {
            using var hashing = new Sha256Stream(r.BaseStream);
            using var reader = new BinaryReader(hashing, System.Text.Encoding.UTF8, leaveOpen: true);
            Exception? readError = null;
            try { read(reader); }
            catch (Exception e) when (expected is not null) { readError = e; }
            if (expected is null) return;
            hashing.DrainToEnd();
            string actual = hashing.HashHex();
            if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
                throw Corrupt(name, $"its SHA-256 is {actual} but {expected} was saved (the file was damaged or modified after saving)", readError);
            if (readError is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(readError);
        });
        if (!found) throw Corrupt(name, "it is missing from the model file");
    }

    private string EntryName(string stream) =>
        string.IsNullOrEmpty(_ctx.Directory) ? stream : $"{_ctx.Directory}/{stream}";

    private InvalidOperationException Corrupt(string name, string problem, Exception? inner = null)
    {
        string stream = name == PayloadNames.ChecksumStreamName ? name : PayloadNames.StreamName(name);
        return new InvalidOperationException($"Model entry '{EntryName(stream)}' is corrupt: {problem}.", inner);
    }
}

/// <summary>A temporary directory restored from a model; <see cref="Dispose"/> deletes it.</summary>
public sealed class RestoredDirectory : IDisposable
{
    internal RestoredDirectory(string path)
    {
        Path = path;
        Directory.CreateDirectory(path);
    }

    /// <summary>Full path of the restored directory.</summary>
    public string Path { get; }

    /// <summary>Deletes the directory and everything in it.</summary>
    public void Dispose()
    {
        if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
    }
}
