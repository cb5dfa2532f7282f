using System.Text.Json;
using Microsoft.ML;

namespace MLNet.Transformers.Persistence;

/// <summary>
/// Writes a transformer's payload into the ML.NET model zip, one named binary stream per item
/// (options as JSON, a checkpoint directory, raw bytes). Read back with <see cref="TransformerPayloadReader"/>.
/// </summary>
public sealed class TransformerPayloadWriter
{
    private readonly ModelSaveContext _ctx;
    private readonly HashSet<string> _names = new(StringComparer.OrdinalIgnoreCase);
    private readonly SortedDictionary<string, string> _sha256 = new(StringComparer.Ordinal);

    internal TransformerPayloadWriter(ModelSaveContext ctx) => _ctx = ctx;

    /// <summary>Saves <paramref name="bytes"/> as the item <paramref name="name"/>.</summary>
    public void WriteBytes(string name, byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        Save(name, w => w.Write(bytes));
    }

    /// <summary>Saves <paramref name="value"/> serialised with System.Text.Json as the item <paramref name="name"/>.</summary>
    public void WriteJson<T>(string name, T value) => WriteBytes(name, JsonSerializer.SerializeToUtf8Bytes(value));

    /// <summary>
    /// Saves every file under <paramref name="directory"/> (recursively, e.g. config.json, model.safetensors, vocab.txt)
    /// as the single item <paramref name="name"/>; <see cref="TransformerPayloadReader.RestoreDirectory"/> recreates it.
    /// </summary>
    public void WriteDirectory(string name, string directory)
    {
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"Cannot save payload '{name}': directory '{directory}' does not exist.");
        string root = Path.GetFullPath(directory);
        string[] files = Directory.GetFiles(root, "*", SearchOption.AllDirectories);
        Array.Sort(files, StringComparer.Ordinal);   // deterministic model files
        Save(name, w => DirectoryPayload.Write(w, root, files));
    }

    /// <summary>
    /// Lets <paramref name="writeFiles"/> fill a fresh temporary directory (e.g. a model's <c>SaveCheckpoint</c>), saves it as
    /// the item <paramref name="name"/> like <see cref="WriteDirectory(string, string)"/>, then deletes the directory.
    /// </summary>
    public void WriteDirectory(string name, Action<string> writeFiles)
    {
        var directory = Directory.CreateTempSubdirectory("mlnet-transformers-save-");
        try
        {
            writeFiles(directory.FullName);
            WriteDirectory(name, directory.FullName);
        }
        finally { directory.Delete(recursive: true); }
    }

    private void Save(string name, Action<BinaryWriter> write)
    {
        PayloadNames.Validate(name);
        if (!_names.Add(name)) throw new ArgumentException($"Payload item '{name}' was written twice.", nameof(name));
        _ctx.SaveBinaryStream(PayloadNames.StreamName(name), w =>
        {
            // Hash on the way out: .NET's ZipArchive does not check CRC-32 on read, so the loader verifies this instead.
            using var hashing = new Sha256Stream(w.BaseStream);
            using var writer = new BinaryWriter(hashing, System.Text.Encoding.UTF8, leaveOpen: true);
            write(writer);
            writer.Flush();
            _sha256[name] = hashing.HashHex();
        });
    }

    /// <summary>Writes the SHA-256 of every item saved so far (called once, after the transformer's payload).</summary>
    internal void WriteChecksums() =>
        _ctx.SaveBinaryStream(PayloadNames.ChecksumStreamName, w => w.Write(JsonSerializer.SerializeToUtf8Bytes(_sha256)));
}
