using OnnxProto = global::Onnx;

namespace MLNet.Transformers.Onnx.Import;

/// <summary>
/// Navigation over an ONNX graph for structural matching: which node produces a value, which nodes consume it, and the
/// integer values a shape input is built from (constants, or a <c>Concat</c> of constants and run-time dimensions).
/// </summary>
internal sealed class OnnxGraphView
{
    private readonly Dictionary<string, OnnxProto.NodeProto> _producers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<OnnxProto.NodeProto>> _consumers = new(StringComparer.Ordinal);

    public OnnxGraphView(OnnxModelFile file)
    {
        File = file;
        foreach (var node in file.Graph.Node)
        {
            foreach (var output in node.Output) _producers[output] = node;
            foreach (var input in node.Input.Where(i => i.Length > 0))
            {
                if (!_consumers.TryGetValue(input, out var list)) _consumers[input] = list = [];
                list.Add(node);
            }
        }
    }

    /// <summary>The model the view is over.</summary>
    public OnnxModelFile File { get; }

    /// <summary>Every node, in graph order.</summary>
    public IEnumerable<OnnxProto.NodeProto> Nodes => File.Graph.Node;

    /// <summary>The node that computes <paramref name="value"/>, or null (a graph input or constant initializer).</summary>
    public OnnxProto.NodeProto? Producer(string value) => _producers.GetValueOrDefault(value);

    /// <summary>The nodes that read <paramref name="value"/>.</summary>
    public IReadOnlyList<OnnxProto.NodeProto> Consumers(string value) => _consumers.TryGetValue(value, out var list) ? list : [];

    /// <summary>Whether any node has operator type <paramref name="op"/>.</summary>
    public bool Has(string op) => Nodes.Any(n => n.OpType == op);

    /// <summary>A readable name of <paramref name="node"/> for error messages.</summary>
    public static string Describe(OnnxProto.NodeProto node) => $"{node.OpType} node '{(node.Name.Length > 0 ? node.Name : node.Output.FirstOrDefault())}'";

    /// <summary>An integer attribute of <paramref name="node"/>, or <paramref name="fallback"/> when absent.</summary>
    public static long IntAttribute(OnnxProto.NodeProto node, string name, long fallback) =>
        node.Attribute.FirstOrDefault(a => a.Name == name) is { } a ? a.I : fallback;

    /// <summary>
    /// The entries of an int64 shape value as far as they are constant (null where known only at run time), or null when its
    /// length is unknown. PyTorch exports <c>view(B, T, heads, head_size)</c> as <c>Concat(Unsqueeze(dim), …, const, const)</c>.
    /// </summary>
    public long?[]? ShapeEntries(string value)
    {
        if (File.Constants.TryGetValue(value, out var constant))
            return (OnnxType)constant.DataType is OnnxType.Int64 or OnnxType.Int32 ? File.Longs(constant).Select(v => (long?)v).ToArray() : null;
        var node = Producer(value);
        if (node is null) return null;
        if (node.OpType == "Unsqueeze") return [null];   // a run-time scalar made 1-D
        if (node.OpType != "Concat") return null;
        var entries = new List<long?>();
        foreach (var input in node.Input)
        {
            if (ShapeEntries(input) is not { } part) return null;
            entries.AddRange(part);
        }
        return entries.ToArray();
    }
}
