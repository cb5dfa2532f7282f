using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Unicode;
using TorchSharp;

namespace MLNet.Transformers.Checkpoints;

/// <summary>One tensor's header entry: its dtype, shape and byte range inside the data buffer.</summary>
internal sealed record SafeTensorsEntry(string Name, torch.ScalarType DType, long[] Shape, long Begin, long End);

/// <summary>
/// Reads and validates a safetensors header. Layout: an 8-byte little-endian header length N, N bytes of UTF-8
/// JSON, then the data buffer. Every check the reference implementation makes is made here, before any tensor
/// memory is allocated, so a malformed file fails with a message instead of a crash or a huge allocation.
/// </summary>
internal sealed class SafeTensorsHeader
{
    /// <summary>Same cap as the reference implementation (MAX_HEADER_SIZE = 100,000,000 bytes).</summary>
    public const long MaxHeaderLength = 100_000_000;

    public const string MetadataKey = "__metadata__";

    private SafeTensorsHeader(long dataStart, IReadOnlyList<SafeTensorsEntry> entries, IReadOnlyDictionary<string, string> metadata)
    {
        DataStart = dataStart;
        Entries = entries;
        Metadata = metadata;
    }

    /// <summary>File offset of the data buffer (8 + header length).</summary>
    public long DataStart { get; }

    /// <summary>The tensors, ordered by their position in the data buffer.</summary>
    public IReadOnlyList<SafeTensorsEntry> Entries { get; }

    /// <summary>The <c>__metadata__</c> string map (empty if absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    public static SafeTensorsHeader Read(FileStream file, string path)
    {
        long fileLength = file.Length;
        if (fileLength < 8)
            throw Fail(path, $"file is {fileLength} bytes, shorter than the 8-byte header length prefix (truncated or not a safetensors file)");

        Span<byte> prefix = stackalloc byte[8];
        file.Position = 0;
        file.ReadExactly(prefix);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > MaxHeaderLength)
            throw Fail(path, $"header length {headerLength} exceeds the {MaxHeaderLength}-byte limit (corrupt file or not a safetensors file)");
        if ((long)headerLength > fileLength - 8)
            throw Fail(path, $"header length {headerLength} is beyond the end of the file ({fileLength} bytes; truncated file?)");

        var json = new byte[headerLength];
        file.ReadExactly(json);
        long dataStart = 8 + (long)headerLength;
        long dataLength = fileLength - dataStart;

        // The reference implementation insists on '{' first (no leading whitespace or byte-order mark).
        if (json.Length == 0 || json[0] != (byte)'{')
            throw Fail(path, "header must be a JSON object starting with '{'");
        // JsonDocument only notices bad UTF-8 lazily (when a name is read), so check the whole header up front.
        if (!Utf8.IsValid(json))
            throw Fail(path, "header is not valid UTF-8 JSON: it contains invalid UTF-8 bytes");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw Fail(path, $"header is not valid UTF-8 JSON: {e.Message}", e);
        }
        using var disposeDocument = document;
        try
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw Fail(path, $"header must be a JSON object, found {document.RootElement.ValueKind}");

            var names = new HashSet<string>(StringComparer.Ordinal);
            var entries = new List<SafeTensorsEntry>();
            IReadOnlyDictionary<string, string> metadata = new Dictionary<string, string>();
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!names.Add(property.Name))
                    throw Fail(path, $"header names '{property.Name}' twice (duplicate key)");
                if (property.Name == MetadataKey)
                    metadata = ParseMetadata(property.Value, path);
                else
                    entries.Add(ParseEntry(property.Name, property.Value, dataLength, path));
            }
            CheckBufferFullyIndexed(entries, dataLength, path);
            return new SafeTensorsHeader(dataStart, entries, metadata);
        }
        catch (InvalidOperationException e) when (e is not CheckpointFormatException)
        {
            // Reading a name or string with an escaped lone surrogate (e.g. "\uD800") cannot be transcoded.
            throw Fail(path, $"header holds a string that is not valid Unicode: {e.Message}", e);
        }
    }

    private static Dictionary<string, string> ParseMetadata(JsonElement value, string path)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw Fail(path, $"'{MetadataKey}' must be an object of string to string, found {value.ValueKind}");
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
                throw Fail(path, $"'{MetadataKey}' entry '{item.Name}' must be a string, found {item.Value.ValueKind}");
            if (!metadata.TryAdd(item.Name, item.Value.GetString()!))
                throw Fail(path, $"'{MetadataKey}' names '{item.Name}' twice (duplicate key)");
        }
        return metadata;
    }

    private static SafeTensorsEntry ParseEntry(string name, JsonElement value, long dataLength, string path)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw Fail(path, $"tensor '{name}': entry must be an object with dtype, shape and data_offsets, found {value.ValueKind}");

        if (!value.TryGetProperty("dtype", out var dtypeElement))
            throw Fail(path, $"tensor '{name}': missing 'dtype'");
        if (dtypeElement.ValueKind != JsonValueKind.String)
            throw Fail(path, $"tensor '{name}': 'dtype' must be a string, found {dtypeElement.ValueKind}");
        string dtypeName = dtypeElement.GetString()!;
        if (!SafeTensorsDType.TryParse(dtypeName, out var dtype, out int elementSize))
            throw Fail(path, $"tensor '{name}': unknown or unsupported dtype '{dtypeName}' (supported: {SafeTensorsDType.SupportedNames})");

        if (!value.TryGetProperty("shape", out var shapeElement))
            throw Fail(path, $"tensor '{name}': missing 'shape'");
        long[] shape = ReadIntegers(shapeElement, name, "shape", path);

        if (!value.TryGetProperty("data_offsets", out var offsetsElement))
            throw Fail(path, $"tensor '{name}': missing 'data_offsets'");
        long[] offsets = ReadIntegers(offsetsElement, name, "data_offsets", path);
        if (offsets.Length != 2)
            throw Fail(path, $"tensor '{name}': 'data_offsets' must be [begin, end], found {offsets.Length} numbers");
        (long begin, long end) = (offsets[0], offsets[1]);
        if (end < begin)
            throw Fail(path, $"tensor '{name}': data_offsets end {end} is before begin {begin}");
        if (end > dataLength)
            throw Fail(path, $"tensor '{name}': data_offsets [{begin}, {end}] are out of range of the {dataLength}-byte data buffer");

        long byteCount;
        try
        {
            long count = 1;
            foreach (long dim in shape)
                count = checked(count * dim);
            byteCount = checked(count * elementSize);
        }
        catch (OverflowException)
        {
            throw Fail(path, $"tensor '{name}': shape [{string.Join(", ", shape)}] x {dtypeName} size overflows");
        }
        if (byteCount != end - begin)
            throw Fail(path, $"tensor '{name}': shape [{string.Join(", ", shape)}] x {dtypeName} needs {byteCount} bytes but data_offsets [{begin}, {end}] hold {end - begin} (shape/dtype mismatch with offsets)");

        return new SafeTensorsEntry(name, dtype, shape, begin, end);
    }

    private static long[] ReadIntegers(JsonElement element, string name, string field, string path)
    {
        if (element.ValueKind != JsonValueKind.Array)
            throw Fail(path, $"tensor '{name}': '{field}' must be an array of non-negative integers, found {element.ValueKind}");
        var values = new long[element.GetArrayLength()];
        int i = 0;
        foreach (var item in element.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out long v) || v < 0)
                throw Fail(path, $"tensor '{name}': '{field}' must hold non-negative integers, found {item.GetRawText()}");
            values[i++] = v;
        }
        return values;
    }

    /// <summary>
    /// The format requires the tensors to tile the data buffer exactly: sorted by offset, each begins where the
    /// previous ended and the last ends at the end of the file. This rejects overlaps, holes and trailing bytes.
    /// </summary>
    private static void CheckBufferFullyIndexed(List<SafeTensorsEntry> entries, long dataLength, string path)
    {
        entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long expected = 0;
        string previous = "the start of the data buffer";
        foreach (var entry in entries)
        {
            if (entry.Begin < expected)
                throw Fail(path, $"tensor '{entry.Name}' data_offsets [{entry.Begin}, {entry.End}] overlap {previous} (which ends at {expected})");
            if (entry.Begin > expected)
                throw Fail(path, $"tensor '{entry.Name}' data_offsets [{entry.Begin}, {entry.End}] leave a hole of {entry.Begin - expected} bytes after {previous} (the data buffer must be fully indexed)");
            expected = entry.End;
            previous = $"tensor '{entry.Name}'";
        }
        if (expected != dataLength)
            throw Fail(path, $"data buffer is {dataLength} bytes but the tensors only index {expected} (hole or trailing bytes at the end)");
    }

    private static CheckpointFormatException Fail(string path, string problem, Exception? inner = null) =>
        new(path, $"invalid safetensors file: {problem}", inner);
}
