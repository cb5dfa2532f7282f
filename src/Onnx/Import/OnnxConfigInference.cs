using MLNet.Transformers.Checkpoints;
using MLNet.Transformers.Models.Bert;
using MLNet.Transformers.Models.DistilBert;

namespace MLNet.Transformers.Onnx.Import;

/// <summary>
/// The config.json of an imported encoder, read off its weights and graph: sizes from the weight shapes (vocabulary,
/// hidden, positions, token types, feed-forward), layers from the keys, heads from the <c>Reshape</c> that splits the hidden
/// size into (heads, head size), LayerNorm epsilon from a <c>LayerNormalization</c> node or from the decomposed pattern
/// PyTorch writes at opset &lt; 17 (<c>Sqrt(Add(ReduceMean(…), ε))</c>), activation from <c>Erf</c>/<c>Gelu</c> (exact GELU)
/// or <c>Relu</c>, and RoBERTa's padding index from the <c>Equal(input_ids, pad)</c> its positions start from.
/// </summary>
internal static class OnnxConfigInference
{
    /// <summary>Writes config.json for <paramref name="family"/> into <paramref name="directory"/> and returns what it wrote.</summary>
    public static object WriteConfig(OnnxImportFamily family, IReadOnlyDictionary<string, ImportedWeight> weights, OnnxGraphView graph, string directory)
    {
        var words = weights["embeddings.word_embeddings.weight"].Shape;
        int vocab = (int)words[0], hidden = (int)words[1];
        int positions = (int)weights["embeddings.position_embeddings.weight"].Shape[0];
        int layers = family.CountLayers(weights.Keys);
        int intermediate = (int)weights[$"{family.LayerStack}.0.{family.LayerKeys.FeedForwardIn}.weight"].Shape[0];
        int heads = Heads(graph, hidden);
        double eps = LayerNormEpsilon(graph);
        string activation = Activation(graph);
        string path = Path.Combine(directory, "config.json");
        if (family == OnnxImportFamily.DistilBert)
        {
            var d = new DistilBertConfig
            {
                Architectures = ["DistilBertModel"], VocabSize = vocab, MaxPositionEmbeddings = positions, NLayers = layers, NHeads = heads,
                Dim = hidden, HiddenDim = intermediate, Activation = activation,
            };
            ConfigFile.Save(path, d);
            return d;
        }
        var c = new BertConfig
        {
            ModelType = family.ModelType, Architectures = [family == OnnxImportFamily.Roberta ? "RobertaModel" : "BertModel"],
            VocabSize = vocab, HiddenSize = hidden, NumHiddenLayers = layers, NumAttentionHeads = heads, IntermediateSize = intermediate,
            HiddenAct = activation, MaxPositionEmbeddings = positions, LayerNormEps = eps,
            TypeVocabSize = (int)weights["embeddings.token_type_embeddings.weight"].Shape[0],
            PadTokenId = family == OnnxImportFamily.Roberta ? (int)RobertaPaddingIndex(graph) : 0,
        };
        ConfigFile.Save(path, c);
        return c;
    }

    // view(B, T, heads, head_size) before the attention transposes: the last two shape entries are constants with product H.
    private static int Heads(OnnxGraphView graph, int hidden)
    {
        var counts = graph.Nodes.Where(n => n.OpType == "Reshape" && n.Input.Count == 2)
            .Select(n => graph.ShapeEntries(n.Input[1]))
            .Where(s => s is { Length: 4 } && s[2] is > 1 && s[3] is > 1 && s[2] * s[3] == hidden)
            .GroupBy(s => (int)s![2]!.Value).OrderByDescending(g => g.Count()).ToList();
        return counts.Count > 0 ? counts[0].Key : throw new CheckpointFormatException(graph.File.Path,
            $"cannot tell the number of attention heads: no Reshape node splits the hidden size {hidden} into (heads, head size) with constant sizes");
    }

    private static double LayerNormEpsilon(OnnxGraphView graph)
    {
        if (graph.Nodes.FirstOrDefault(n => n.OpType == "LayerNormalization") is { } ln)
            return ln.Attribute.FirstOrDefault(a => a.Name == "epsilon") is { } e ? e.F : 1e-5;   // the operator's default
        foreach (var sqrt in graph.Nodes.Where(n => n.OpType == "Sqrt"))
        {
            if (graph.Producer(sqrt.Input[0]) is not { OpType: "Add" } add) continue;
            bool fromVariance = add.Input.Any(i => graph.Producer(i) is { OpType: "ReduceMean" });
            if (fromVariance && add.Input.Select(graph.File.ScalarFloat).FirstOrDefault(v => v is not null) is float eps)
                return RoundToFloat(eps);
        }
        throw new CheckpointFormatException(graph.File.Path, "cannot find a LayerNorm epsilon: no LayerNormalization node and no Sqrt(Add(ReduceMean(…), ε)) pattern");
    }

    // 1e-12 stored as float is 9.9999999600419720025e-13; write the decimal the float stands for (HF configs say 1e-12).
    private static double RoundToFloat(float value) => double.Parse(value.ToString("R", System.Globalization.CultureInfo.InvariantCulture), System.Globalization.CultureInfo.InvariantCulture);

    private static string Activation(OnnxGraphView graph) =>
        graph.Has("Erf") || graph.Has("Gelu") ? "gelu"
        : graph.Has("Relu") ? "relu"
        : throw new CheckpointFormatException(graph.File.Path, "cannot tell the feed-forward activation: the graph has no Erf or Gelu (exact GELU) and no Relu node");

    private static long RobertaPaddingIndex(OnnxGraphView graph)
    {
        foreach (var equal in graph.Nodes.Where(n => n.OpType == "Equal" && n.Input.Contains("input_ids")))
            foreach (var input in equal.Input)
                if (graph.File.Constants.TryGetValue(input, out var t) && (OnnxType)t.DataType is OnnxType.Int64 or OnnxType.Int32 && OnnxModelFile.ElementCount(t) == 1)
                    return graph.File.Longs(t)[0];
        return 1;   // RobertaConfig's default pad_token_id
    }
}
