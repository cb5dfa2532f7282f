using System.Text.Json;
using Microsoft.ML;

namespace MLNet.Transformers.Persistence;

/// <summary>Reads the items a transformer saved with <see cref="TransformerPayloadWriter"/>.</summary>
public sealed class TransformerPayloadReader
{
    private readonly ModelLoadContext _ctx;

    internal TransformerPayloadReader(ModelLoadContext ctx) => _ctx = ctx;

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
    public T ReadJson<T>(string name) =>
        JsonSerializer.Deserialize<T>(ReadBytes(name))
        ?? throw new InvalidOperationException($"Payload item '{name}' in the model holds JSON null.");

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

    private void Load(string name, Action<BinaryReader> read)
    {
        PayloadNames.Validate(name);
        if (!_ctx.TryLoadBinaryStream(PayloadNames.StreamName(name), read))
            throw new InvalidOperationException($"Payload item '{name}' is missing from the model file.");
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
