using System.Runtime.InteropServices;
using Google.Protobuf;
using OnnxProto = global::Onnx;

namespace MLNet.Transformers.Onnx;

/// <summary>ONNX tensor element types (TensorProto.DataType) we use.</summary>
internal enum OnnxType { Float = 1, UInt8 = 2, Int8 = 3, Int32 = 6, Int64 = 7 }

/// <summary>
/// Builds an ONNX model (ModelProto → GraphProto → NodeProto/TensorProto/ValueInfoProto, the types generated from onnx.proto3)
/// node by node and writes it; shapes may be symbolic ("batch", "sequence"). A model whose tensors would pass protobuf's 2 GB
/// message limit is written with ONNX external data: tensors of 1 KB or more go to <c>&lt;model file&gt;.data</c> beside it,
/// each referenced by <c>location</c>/<c>offset</c>/<c>length</c>, as <c>onnx.external_data_helper</c> writes them.
/// </summary>
internal sealed class OnnxGraph
{
    /// <summary>Tensor bytes above which <see cref="Save"/> writes external data: protobuf's 2 GB limit less room for the graph itself.</summary>
    public const long DefaultExternalDataThreshold = int.MaxValue - (64L << 20);

    // onnx.external_data_helper: tensors under 1 KB stay inline; tensors over 1 MB start at a multiple of 64 KB, the
    // allocation granularity a reader that memory-maps the file needs on Windows.
    private const int ExternalMinimumBytes = 1024, AlignAboveBytes = 1 << 20, Alignment = 1 << 16;

    private readonly OnnxProto.GraphProto _graph = new();
    private int _next;

    /// <summary>A fresh value name with a readable prefix.</summary>
    public string Name(string prefix) => $"{prefix}_{_next++}";

    public void Input(string name, OnnxType type, params object[] dims) => _graph.Input.Add(ValueInfo(name, type, dims));

    public void Output(string name, OnnxType type, params object[] dims) => _graph.Output.Add(ValueInfo(name, type, dims));

    /// <summary>Adds a constant tensor (weights, shapes) and returns its name.</summary>
    public string Initializer<T>(string name, T[] values, params long[] dims) where T : unmanaged
    {
        var type = typeof(T) == typeof(float) ? OnnxType.Float : typeof(T) == typeof(long) ? OnnxType.Int64
            : typeof(T) == typeof(sbyte) ? OnnxType.Int8 : typeof(T) == typeof(byte) ? OnnxType.UInt8
            : throw new ArgumentException($"No ONNX type for {typeof(T).Name}.");
        if (values.Length != dims.Aggregate(1L, (a, b) => a * b))
            throw new ArgumentException($"Initializer '{name}' has {values.Length} values for shape [{string.Join(", ", dims)}].");
        var tensor = new OnnxProto.TensorProto { Name = name, DataType = (int)type };
        tensor.Dims.AddRange(dims);
        tensor.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan())); // ONNX raw_data is little-endian, as .NET on x64/arm64
        _graph.Initializer.Add(tensor);
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
        var node = new OnnxProto.NodeProto { Name = Name(op + "_node"), OpType = op, Domain = domain };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange((attributes ?? []).Select(a => a.ToProto()));
        _graph.Node.Add(node);
        return outputs;
    }

    /// <summary>
    /// Writes the model: IR version 8, default opset <paramref name="opset"/> (plus com.microsoft 1). When the tensors hold more
    /// than <paramref name="externalDataThreshold"/> bytes, their data goes to <c>&lt;path&gt;.data</c> (ONNX external data).
    /// </summary>
    public void Save(string path, int opset, string graphName, long externalDataThreshold = DefaultExternalDataThreshold)
    {
        _graph.Name = graphName;
        var model = new OnnxProto.ModelProto { IrVersion = 8, ProducerName = "MLNet.Transformers", Graph = _graph };
        model.OpsetImport.Add(new OnnxProto.OperatorSetIdProto { Domain = "", Version = opset });
        model.OpsetImport.Add(new OnnxProto.OperatorSetIdProto { Domain = "com.microsoft", Version = 1 });
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        string dataPath = path + ".data";
        if (File.Exists(dataPath)) File.Delete(dataPath);   // a stale side file from an earlier, larger export
        if (_graph.Initializer.Sum(t => (long)t.RawData.Length) > externalDataThreshold) MoveDataToFile(dataPath);
        using var file = File.Create(path);
        model.WriteTo(file);
    }

    private void MoveDataToFile(string dataPath)
    {
        using var data = File.Create(dataPath);
        foreach (var tensor in _graph.Initializer.Where(t => t.RawData.Length >= ExternalMinimumBytes))
        {
            if (tensor.RawData.Length > AlignAboveBytes && data.Position % Alignment != 0)
                data.SetLength(data.Position += Alignment - data.Position % Alignment);   // zero padding up to the boundary
            long offset = data.Position;
            tensor.RawData.WriteTo(data);
            tensor.ExternalData.Add(Entry("location", Path.GetFileName(dataPath)));
            tensor.ExternalData.Add(Entry("offset", offset.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            tensor.ExternalData.Add(Entry("length", tensor.RawData.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            tensor.DataLocation = OnnxProto.TensorProto.Types.DataLocation.External;
            tensor.RawData = ByteString.Empty;
        }
    }

    private static OnnxProto.StringStringEntryProto Entry(string key, string value) => new() { Key = key, Value = value };

    private static OnnxProto.ValueInfoProto ValueInfo(string name, OnnxType type, object[] dims)
    {
        var shape = new OnnxProto.TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d is string s ? new OnnxProto.TensorShapeProto.Types.Dimension { DimParam = s }
                : new OnnxProto.TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(d) });
        return new OnnxProto.ValueInfoProto
        {
            Name = name,
            Type = new OnnxProto.TypeProto { TensorType = new OnnxProto.TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }
}

/// <summary>A node attribute (AttributeProto): an int, a float or a list of ints.</summary>
internal sealed record Attr(string Name, long? Int = null, float? Float = null, long[]? Ints = null)
{
    public static Attr I(string name, long value) => new(name, Int: value);
    public static Attr F(string name, float value) => new(name, Float: value);
    public static Attr Is(string name, params long[] values) => new(name, Ints: values);

    public OnnxProto.AttributeProto ToProto()
    {
        var a = new OnnxProto.AttributeProto { Name = Name };
        if (Float is { } f) { a.F = f; a.Type = OnnxProto.AttributeProto.Types.AttributeType.Float; }
        else if (Int is { } i) { a.I = i; a.Type = OnnxProto.AttributeProto.Types.AttributeType.Int; }
        else { a.Ints.AddRange(Ints!); a.Type = OnnxProto.AttributeProto.Types.AttributeType.Ints; }
        return a;
    }
}
