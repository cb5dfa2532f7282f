using System.Runtime.InteropServices;

namespace MLNet.Transformers.Onnx;

/// <summary>ONNX tensor element types (TensorProto.DataType) we use.</summary>
internal enum OnnxType { Float = 1, UInt8 = 2, Int8 = 3, Int32 = 6, Int64 = 7 }

/// <summary>
/// Builds an ONNX model (onnx.proto3: ModelProto → GraphProto → NodeProto/TensorProto/ValueInfoProto) node by node and
/// writes it. Field numbers are those of onnx.proto; shapes may be symbolic ("batch", "sequence").
/// </summary>
internal sealed class OnnxGraph
{
    private readonly List<Action<ProtoWriter>> _nodes = new(), _initializers = new(), _inputs = new(), _outputs = new();
    private int _next;

    /// <summary>A fresh value name with a readable prefix.</summary>
    public string Name(string prefix) => $"{prefix}_{_next++}";

    public void Input(string name, OnnxType type, params object[] dims) => _inputs.Add(w => ValueInfo(w, name, type, dims));

    public void Output(string name, OnnxType type, params object[] dims) => _outputs.Add(w => ValueInfo(w, name, type, dims));

    /// <summary>Adds a constant tensor (weights, shapes) and returns its name.</summary>
    public string Initializer<T>(string name, T[] values, params long[] dims) where T : unmanaged
    {
        var type = typeof(T) == typeof(float) ? OnnxType.Float : typeof(T) == typeof(long) ? OnnxType.Int64
            : typeof(T) == typeof(sbyte) ? OnnxType.Int8 : typeof(T) == typeof(byte) ? OnnxType.UInt8
            : throw new ArgumentException($"No ONNX type for {typeof(T).Name}.");
        if (values.Length != dims.Aggregate(1L, (a, b) => a * b))
            throw new ArgumentException($"Initializer '{name}' has {values.Length} values for shape [{string.Join(", ", dims)}].");
        byte[] raw = MemoryMarshal.AsBytes(values.AsSpan()).ToArray(); // ONNX raw_data is little-endian, as .NET on x64/arm64
        _initializers.Add(w =>
        {
            foreach (long d in dims) w.Varint(1, d);
            w.Varint(2, (int)type).String(8, name).Bytes(9, raw);
        });
        return name;
    }

    public string Scalar(float value) => Initializer(Name("const"), [value]);

    public string Ints(params long[] values) => Initializer(Name("ints"), values, values.Length);

    /// <summary>Adds node <paramref name="op"/> and returns its (first) output's name.</summary>
    public string Node(string op, string[] inputs, Attr[]? attributes = null, string? output = null, string domain = "") =>
        NodeMulti(op, inputs, 1, attributes, output is null ? null : [output], domain)[0];

    public string[] NodeMulti(string op, string[] inputs, int outputCount, Attr[]? attributes = null, string[]? outputs = null, string domain = "")
    {
        outputs ??= Enumerable.Range(0, outputCount).Select(_ => Name(op)).ToArray();
        string name = Name(op + "_node");
        _nodes.Add(w =>
        {
            foreach (string i in inputs) w.String(1, i);
            foreach (string o in outputs) w.String(2, o);
            w.String(3, name).String(4, op);
            foreach (var a in attributes ?? []) w.Message(5, a.Write);
            if (domain.Length > 0) w.String(7, domain);
        });
        return outputs;
    }

    /// <summary>Writes the model: IR version 8, default opset <paramref name="opset"/> (plus com.microsoft 1).</summary>
    public void Save(string path, int opset, string graphName)
    {
        var model = new ProtoWriter()
            .Varint(1, 8)                                   // ir_version
            .String(2, "MLNet.Transformers")                // producer_name
            .Message(8, w => w.String(1, "").Varint(2, opset))
            .Message(8, w => w.String(1, "com.microsoft").Varint(2, 1))
            .Message(7, g =>
            {
                foreach (var n in _nodes) g.Message(1, n);
                g.String(2, graphName);
                foreach (var t in _initializers) g.Message(5, t);
                foreach (var i in _inputs) g.Message(11, i);
                foreach (var o in _outputs) g.Message(12, o);
            });
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        using var file = File.Create(path);
        model.WriteTo(file);
    }

    private static void ValueInfo(ProtoWriter w, string name, OnnxType type, object[] dims) =>
        w.String(1, name).Message(2, t => t.Message(1, tensor => tensor
            .Varint(1, (int)type)
            .Message(2, shape =>
            {
                foreach (var d in dims)
                    shape.Message(1, dim => { if (d is string s) dim.String(2, s); else dim.Varint(1, Convert.ToInt64(d)); });
            })));
}

/// <summary>A node attribute (AttributeProto): an int, a float or a list of ints.</summary>
internal sealed record Attr(string Name, long? Int = null, float? Float = null, long[]? Ints = null)
{
    public static Attr I(string name, long value) => new(name, Int: value);
    public static Attr F(string name, float value) => new(name, Float: value);
    public static Attr Is(string name, params long[] values) => new(name, Ints: values);

    public void Write(ProtoWriter w)
    {
        w.String(1, Name);
        if (Float is { } f) w.Float(2, f).Varint(20, 1);
        else if (Int is { } i) w.Varint(3, i).Varint(20, 2);
        else { foreach (long v in Ints!) w.Varint(8, v); w.Varint(20, 7); }
    }
}
