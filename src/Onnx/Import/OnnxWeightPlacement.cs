using System.Text.RegularExpressions;
using MLNet.Transformers.Checkpoints;
using OnnxProto = global::Onnx;

namespace MLNet.Transformers.Onnx.Import;

/// <summary>A weight recovered from an ONNX graph, in Hugging Face's layout (a linear weight is [out, in]).</summary>
internal sealed record ImportedWeight(float[] Values, long[] Shape);

/// <summary>
/// Gives every weight of an exported encoder its Hugging Face state-dict key, by graph structure. PyTorch's exporter keeps
/// the names of initializers a node reads as they are (embeddings, LayerNorm, biases) but folds each Linear weight into an
/// unnamed, transposed [in, out] initializer of a <c>MatMul</c>; that weight is named after the bias the following
/// <c>Add</c> reads (<c>….query.bias</c> → <c>….query.weight</c>) and transposed back. A <c>Gemm</c> (the pooler) reads
/// its weight as stored when <c>transB</c> = 1. Exports that keep the Linear names (Optimum, a <c>Transpose</c> of the
/// named weight) place themselves. Integer constants (shapes, indices, position-id buffers) and float scalars are graph
/// constants, not weights; any other initializer that cannot be placed is refused by name.
/// </summary>
internal static partial class OnnxWeightPlacement
{
    /// <summary>HF key → weight, in the order the graph declares its initializers.</summary>
    public static Dictionary<string, ImportedWeight> Place(OnnxGraphView graph)
    {
        var file = graph.File;
        var initializers = file.Graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var placed = new Dictionary<string, (string Key, bool Transposed)>(StringComparer.Ordinal);   // initializer → key

        foreach (var node in graph.Nodes)
        {
            if (node.OpType is not ("MatMul" or "Gemm") || node.Input.Count < 2) continue;
            bool transposed = node.OpType == "MatMul" || OnnxGraphView.IntAttribute(node, "transB", 0) == 0;   // stored [in, out]
            string operand = node.Input[1];
            if (!initializers.ContainsKey(operand) && graph.Producer(operand) is { OpType: "Transpose" } t && initializers.ContainsKey(t.Input[0]))
            {
                operand = t.Input[0];   // MatMul(x, Transpose(W)) reads W as stored, [out, in]
                transposed = !transposed;
            }
            if (!initializers.TryGetValue(operand, out var weight) || !OnnxModelFile.IsFloat(weight) || weight.Dims.Count != 2) continue;
            string key = BiasOf(graph, node, initializers) is { } bias ? bias[..^".bias".Length] + ".weight"
                : IsStateDictKey(weight.Name) && weight.Name.EndsWith(".weight", StringComparison.Ordinal) ? weight.Name
                : throw new CheckpointFormatException(file.Path, $"initializer '{weight.Name}' [{string.Join(", ", weight.Dims)}] of " +
                    $"{OnnxGraphView.Describe(node)} cannot be placed: no named bias is added to its output and it has no weight name");
            placed[weight.Name] = (key, transposed);
        }

        var weights = new Dictionary<string, ImportedWeight>(StringComparer.Ordinal);
        foreach (var t in file.Graph.Initializer)
        {
            if (placed.TryGetValue(t.Name, out var p)) Add(weights, p.Key, p.Transposed ? Transpose(file, t) : AsStored(file, t), file);
            else if (OnnxModelFile.IsFloat(t) && IsStateDictKey(t.Name)) Add(weights, t.Name, AsStored(file, t), file);
            else if (!IsGraphConstant(t))
                throw new CheckpointFormatException(file.Path, $"initializer '{t.Name}' ({(OnnxType)t.DataType} [{string.Join(", ", t.Dims)}]" +
                    $"{UsedBy(graph, t.Name)}) is not a weight this importer can place" +
                    (t.DataType is (int)OnnxType.Int8 or (int)OnnxType.UInt8 ? ": quantized models cannot be imported; export the fp32 model" : ""));
        }
        return weights;
    }

    /// <summary>Whether <paramref name="name"/> reads like a PyTorch state-dict key ("encoder.layer.0.output.dense.bias").</summary>
    public static bool IsStateDictKey(string name) => StateDictKey().IsMatch(name);

    // The one Add after the MatMul/Gemm that adds a named bias (Gemm: its C input).
    private static string? BiasOf(OnnxGraphView graph, OnnxProto.NodeProto node, Dictionary<string, OnnxProto.TensorProto> initializers)
    {
        if (node.OpType == "Gemm")
            return node.Input.Count > 2 && node.Input[2].EndsWith(".bias", StringComparison.Ordinal) && IsStateDictKey(node.Input[2]) ? node.Input[2] : null;
        var adds = graph.Consumers(node.Output[0]).Where(n => n.OpType == "Add").ToList();
        if (adds.Count != 1) return null;
        var other = adds[0].Input.FirstOrDefault(i => i != node.Output[0]);
        return other is not null && initializers.ContainsKey(other) && other.EndsWith(".bias", StringComparison.Ordinal) && IsStateDictKey(other) ? other : null;
    }

    // Shapes, indices, buffers such as embeddings.position_ids, and scalars (epsilons, scales) belong to the graph, not the model.
    private static bool IsGraphConstant(OnnxProto.TensorProto t) =>
        (OnnxType)t.DataType is OnnxType.Int64 or OnnxType.Int32 || (OnnxModelFile.IsFloat(t) && OnnxModelFile.ElementCount(t) <= 1);

    private static void Add(Dictionary<string, ImportedWeight> weights, string key, ImportedWeight weight, OnnxModelFile file)
    {
        if (!weights.TryAdd(key, weight))
            throw new CheckpointFormatException(file.Path, $"two initializers place as weight '{key}'");
    }

    private static ImportedWeight AsStored(OnnxModelFile file, OnnxProto.TensorProto t) => new(file.Floats(t), t.Dims.ToArray());

    private static ImportedWeight Transpose(OnnxModelFile file, OnnxProto.TensorProto t)
    {
        var values = file.Floats(t);
        int rows = (int)t.Dims[0], cols = (int)t.Dims[1];
        var transposed = new float[values.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                transposed[c * rows + r] = values[r * cols + c];
        return new(transposed, [cols, rows]);
    }

    private static string UsedBy(OnnxGraphView graph, string name) =>
        graph.Consumers(name).FirstOrDefault() is { } node ? $", read by {OnnxGraphView.Describe(node)}" : ", read by no node";

    [GeneratedRegex(@"^[A-Za-z_]\w*(\.\w+)+$")]
    private static partial Regex StateDictKey();
}
