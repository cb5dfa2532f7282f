using System.Runtime.InteropServices;
using Google.Protobuf;
using MLNet.Transformers.Checkpoints;
using OnnxProto = global::Onnx;

namespace MLNet.Transformers.Onnx.Import;

/// <summary>
/// An ONNX model read with the generated protobuf types: its graph, and every constant (initializers and <c>Constant</c>
/// nodes) by value name. Tensor data may be inline (<c>raw_data</c> or the typed fields) or external (ONNX external data:
/// <c>location</c>/<c>offset</c>/<c>length</c> in a file beside the model, as exports over 2 GB are written).
/// </summary>
internal sealed class OnnxModelFile
{
    private readonly string _directory;

    private OnnxModelFile(string path, OnnxProto.ModelProto model)
    {
        Path = path;
        Model = model;
        _directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        var constants = new Dictionary<string, OnnxProto.TensorProto>(StringComparer.Ordinal);
        foreach (var t in model.Graph.Initializer) constants[t.Name] = t;
        foreach (var n in model.Graph.Node.Where(n => n.OpType == "Constant"))
            if (n.Attribute.FirstOrDefault(a => a.Name == "value")?.T is { } t) constants[n.Output[0]] = t;
        Constants = constants;
    }

    /// <summary>The file read.</summary>
    public string Path { get; }

    /// <summary>The parsed model.</summary>
    public OnnxProto.ModelProto Model { get; }

    /// <summary>The graph.</summary>
    public OnnxProto.GraphProto Graph => Model.Graph;

    /// <summary>Every constant tensor by the value name it defines (initializers and <c>Constant</c> node outputs).</summary>
    public IReadOnlyDictionary<string, OnnxProto.TensorProto> Constants { get; }

    /// <summary>Reads and parses <paramref name="path"/>; a file that is not an ONNX model is a <see cref="CheckpointFormatException"/>.</summary>
    public static OnnxModelFile Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"ONNX file '{path}' does not exist.", path);
        OnnxProto.ModelProto model;
        try
        {
            using var stream = File.OpenRead(path);
            model = OnnxProto.ModelProto.Parser.ParseFrom(stream);
        }
        catch (InvalidProtocolBufferException e) { throw new CheckpointFormatException(path, $"not an ONNX model ({e.Message})", e); }
        if (model.Graph is null || model.Graph.Node.Count == 0) throw new CheckpointFormatException(path, "the ONNX model has no graph nodes");
        return new OnnxModelFile(path, model);
    }

    /// <summary>Whether <paramref name="t"/> holds floating-point numbers.</summary>
    public static bool IsFloat(OnnxProto.TensorProto t) => (OnnxType)t.DataType == OnnxType.Float;

    /// <summary>Number of elements of <paramref name="t"/>.</summary>
    public static long ElementCount(OnnxProto.TensorProto t) => t.Dims.Aggregate(1L, (a, b) => a * b);

    /// <summary>The values of a float tensor.</summary>
    public float[] Floats(OnnxProto.TensorProto t)
    {
        if (!IsFloat(t)) throw new CheckpointFormatException(Path, $"tensor '{t.Name}' has ONNX data type {t.DataType}, not float");
        if (t.FloatData.Count > 0) return t.FloatData.ToArray();
        return MemoryMarshal.Cast<byte, float>(Bytes(t, sizeof(float))).ToArray();   // raw data is little-endian, as this host
    }

    /// <summary>The values of an integer tensor (int64 or int32) as longs.</summary>
    public long[] Longs(OnnxProto.TensorProto t) => (OnnxType)t.DataType switch
    {
        OnnxType.Int64 => t.Int64Data.Count > 0 ? t.Int64Data.ToArray() : MemoryMarshal.Cast<byte, long>(Bytes(t, sizeof(long))).ToArray(),
        OnnxType.Int32 => t.Int32Data.Count > 0 ? t.Int32Data.Select(v => (long)v).ToArray()
            : MemoryMarshal.Cast<byte, int>(Bytes(t, sizeof(int))).ToArray().Select(v => (long)v).ToArray(),
        _ => throw new CheckpointFormatException(Path, $"tensor '{t.Name}' has ONNX data type {t.DataType}, not an integer type"),
    };

    /// <summary>A scalar (or one-element) float constant named <paramref name="value"/>, or null.</summary>
    public float? ScalarFloat(string value) =>
        Constants.TryGetValue(value, out var t) && IsFloat(t) && ElementCount(t) == 1 ? Floats(t)[0] : null;

    private byte[] Bytes(OnnxProto.TensorProto t, int elementSize)
    {
        long expected = ElementCount(t) * elementSize;
        byte[] bytes = t.DataLocation == OnnxProto.TensorProto.Types.DataLocation.External ? ReadExternal(t, expected) : t.RawData.ToByteArray();
        if (bytes.LongLength != expected)
            throw new CheckpointFormatException(Path, $"tensor '{t.Name}' has {bytes.LongLength} data bytes for shape [{string.Join(", ", t.Dims)}] ({expected} expected)");
        return bytes;
    }

    // ONNX external data (onnx/external_data_helper.py): location is relative to the model's folder; offset/length in bytes.
    private byte[] ReadExternal(OnnxProto.TensorProto t, long expected)
    {
        var entries = t.ExternalData.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
        if (!entries.TryGetValue("location", out var location) || location.Length == 0)
            throw new CheckpointFormatException(Path, $"tensor '{t.Name}' is external but names no 'location'");
        var file = System.IO.Path.GetFullPath(System.IO.Path.Combine(_directory, location));
        if (!file.StartsWith(_directory + System.IO.Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new CheckpointFormatException(Path, $"tensor '{t.Name}' has external data location '{location}' outside the model's folder");
        if (!File.Exists(file)) throw new CheckpointFormatException(Path, $"tensor '{t.Name}' needs external data file '{file}', which does not exist");
        long offset = entries.TryGetValue("offset", out var o) ? long.Parse(o, System.Globalization.CultureInfo.InvariantCulture) : 0;
        long length = entries.TryGetValue("length", out var l) ? long.Parse(l, System.Globalization.CultureInfo.InvariantCulture) : expected;
        if (length != expected)
            throw new CheckpointFormatException(Path, $"tensor '{t.Name}' has external length {length} for shape [{string.Join(", ", t.Dims)}] ({expected} bytes expected)");
        using var stream = File.OpenRead(file);
        if (offset + length > stream.Length)
            throw new CheckpointFormatException(file, $"tensor '{t.Name}' reads bytes {offset}..{offset + length} past the end of the file ({stream.Length} bytes)");
        var bytes = new byte[length];
        stream.Position = offset;
        stream.ReadExactly(bytes);
        return bytes;
    }
}
