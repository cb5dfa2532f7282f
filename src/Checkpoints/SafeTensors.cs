using System.Buffers.Binary;
using System.Text.Encodings.Web;
using System.Text.Json;
using TorchSharp;

namespace MLNet.Transformers.Checkpoints;

/// <summary>
/// Reads and writes the safetensors format used by Hugging Face checkpoints
/// (https://github.com/huggingface/safetensors): an 8-byte little-endian header length, a JSON header
/// (<c>name → {dtype, shape, data_offsets}</c> plus an optional <c>__metadata__</c> string map) padded with spaces
/// to a multiple of 8 bytes, then the raw little-endian tensor bytes. Unlike pickle files, loading one runs no code.
/// </summary>
/// <remarks>Tensor bytes are copied verbatim in both directions, so a save/load round trip is bit-identical for
/// every dtype (bf16 and f16 included).</remarks>
public static class SafeTensors
{
    /// <summary>Largest span copied in one go: a <see cref="Span{T}"/> is limited to 2 GB.</summary>
    private const long ChunkBytes = 1L << 30;

    private delegate void ByteChunkAction(Span<byte> chunk);

    /// <summary>Loads every tensor of a safetensors file as a CPU tensor with its stored dtype.</summary>
    /// <param name="path">The <c>.safetensors</c> file.</param>
    /// <returns>Tensor name → tensor. The caller owns (and disposes) the tensors.</returns>
    /// <exception cref="CheckpointFormatException">The file is missing or malformed; the message says how.</exception>
    public static Dictionary<string, torch.Tensor> Load(string path)
    {
        RequireLittleEndianHost();
        using var file = OpenRead(path);
        var header = SafeTensorsHeader.Read(file, path);
        var tensors = new Dictionary<string, torch.Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var entry in header.Entries)
            {
                var tensor = torch.empty(entry.Shape, entry.DType, torch.CPU);
                tensors.Add(entry.Name, tensor);
                // Offsets were checked against the file length, so this reads exactly the entry's bytes.
                file.Position = header.DataStart + entry.Begin;
                ForEachByteChunk(tensor, chunk => file.ReadExactly(chunk));
            }
        }
        catch
        {
            foreach (var t in tensors.Values)
                t.Dispose();
            throw;
        }
        return tensors;
    }

    /// <summary>Reads and validates the header (names, dtypes, shapes) of a safetensors file without reading any tensor data.</summary>
    internal static IReadOnlyList<SafeTensorsEntry> ReadEntries(string path)
    {
        using var file = OpenRead(path);
        return SafeTensorsHeader.Read(file, path).Entries;
    }

    /// <summary>Reads the <c>__metadata__</c> string map of a safetensors file without loading any tensor.</summary>
    /// <param name="path">The <c>.safetensors</c> file.</param>
    /// <returns>The metadata (empty if the file has none).</returns>
    /// <exception cref="CheckpointFormatException">The file is missing or malformed.</exception>
    public static IReadOnlyDictionary<string, string> ReadMetadata(string path)
    {
        using var file = OpenRead(path);
        return SafeTensorsHeader.Read(file, path).Metadata;
    }

    /// <summary>
    /// Writes tensors to a safetensors file that Hugging Face's <c>safetensors</c> accepts. Tensors are ordered by
    /// name, so the same input always gives the same bytes. Non-contiguous tensors are made contiguous and tensors
    /// on other devices are copied to the CPU for writing; the inputs are not modified.
    /// </summary>
    /// <param name="path">The file to write (replaced if it exists).</param>
    /// <param name="tensors">Name → tensor. Names must be unique.</param>
    /// <param name="metadata">Optional <c>__metadata__</c> string map (Hugging Face writes <c>{"format": "pt"}</c>).</param>
    /// <exception cref="ArgumentException">A name is duplicated or reserved, or a dtype has no safetensors name.</exception>
    public static void Save(string path, IEnumerable<KeyValuePair<string, torch.Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        RequireLittleEndianHost();
        ArgumentNullException.ThrowIfNull(tensors);
        var sorted = tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
        for (int i = 0; i < sorted.Count; i++)
        {
            if (sorted[i].Key == SafeTensorsHeader.MetadataKey)
                throw new ArgumentException($"Tensor name '{SafeTensorsHeader.MetadataKey}' is reserved by the safetensors format.", nameof(tensors));
            if (i > 0 && sorted[i].Key == sorted[i - 1].Key)
                throw new ArgumentException($"Tensor name '{sorted[i].Key}' appears twice.", nameof(tensors));
            if (!SafeTensorsDType.TryGetName(sorted[i].Value.dtype, out _))
                throw new ArgumentException($"Tensor '{sorted[i].Key}' has dtype {sorted[i].Value.dtype}, which cannot be saved (supported: {SafeTensorsDType.SupportedNames}).", nameof(tensors));
        }

        byte[] header = BuildHeader(sorted, metadata);
        string temporary = path + ".tmp";
        try
        {
            using var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None);
            Span<byte> prefix = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
            file.Write(prefix);
            file.Write(header);
            foreach (var (_, tensor) in sorted)
                WriteTensorBytes(file, tensor);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
        // Replace the target only once the whole file is written, so a crash never leaves half a checkpoint.
        File.Move(temporary, path, overwrite: true);
    }

    private static byte[] BuildHeader(List<KeyValuePair<string, torch.Tensor>> sorted, IReadOnlyDictionary<string, string>? metadata)
    {
        using var buffer = new MemoryStream();
        // Relaxed escaping writes names as-is (like the reference serde_json writer) rather than as \uXXXX.
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(SafeTensorsHeader.MetadataKey);
                foreach (var (key, value) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                    json.WriteString(key, value);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, tensor) in sorted)
            {
                SafeTensorsDType.TryGetName(tensor.dtype, out string dtype);
                long byteCount = checked(tensor.numel() * tensor.ElementSize);
                json.WriteStartObject(name);
                json.WriteString("dtype", dtype);
                json.WriteStartArray("shape");
                foreach (long dim in tensor.shape)
                    json.WriteNumberValue(dim);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + byteCount);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += byteCount;
            }
            json.WriteEndObject();
        }
        // Pad with spaces so the data buffer starts 8-byte aligned (as the reference writer does).
        while (buffer.Length % 8 != 0)
            buffer.WriteByte((byte)' ');
        return buffer.ToArray();
    }

    private static void WriteTensorBytes(FileStream file, torch.Tensor tensor)
    {
        if (tensor.numel() == 0)
            return;
        using var scope = torch.NewDisposeScope();
        var cpu = tensor.detach().cpu().contiguous();
        ForEachByteChunk(cpu, chunk => file.Write(chunk));
    }

    /// <summary>Visits the raw bytes of a contiguous CPU tensor in spans of at most <see cref="ChunkBytes"/>.</summary>
    private static void ForEachByteChunk(torch.Tensor tensor, ByteChunkAction action)
    {
        long count = tensor.numel();
        if (count == 0)
            return;
        long totalBytes = count * tensor.ElementSize;
        if (totalBytes <= ChunkBytes)
        {
            action(tensor.bytes);
            return;
        }
        // A span cannot exceed 2 GB: walk contiguous slices of the flattened tensor (views of the same memory).
        using var flat = tensor.view(-1);
        long perChunk = ChunkBytes / tensor.ElementSize;
        for (long start = 0; start < count; start += perChunk)
        {
            using var slice = flat.narrow(0, start, Math.Min(perChunk, count - start));
            action(slice.bytes);
        }
    }

    private static FileStream OpenRead(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new CheckpointFormatException(path, "safetensors file not found");
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
    }

    private static void RequireLittleEndianHost()
    {
        // The format is little-endian and bytes are copied verbatim.
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("safetensors I/O needs a little-endian machine.");
    }
}
