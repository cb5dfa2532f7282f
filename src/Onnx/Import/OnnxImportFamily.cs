using MLNet.Transformers.Checkpoints;

namespace MLNet.Transformers.Onnx.Import;

/// <summary>
/// An encoder family as the importer sees it: the key of its layer list, the keys inside a layer (the exporter's
/// <see cref="OnnxLayerKeys"/>), whether it has token types and a pooler. The family is chosen from the placed weights and the
/// graph — DistilBERT by <c>transformer.layer.*</c> keys; RoBERTa by its position ids counted from the padding index
/// (a <c>CumSum</c>, HF's <c>create_position_ids_from_input_ids</c>); otherwise BERT — and every weight is checked against the
/// family's key set, so a graph of another architecture is refused naming the first weight that does not belong.
/// </summary>
internal sealed record OnnxImportFamily(string ModelType, string LayerStack, OnnxLayerKeys LayerKeys, bool TokenTypes, bool MayHavePooler)
{
    public static OnnxImportFamily Bert { get; } = new("bert", "encoder.layer", OnnxLayerKeys.Bert, TokenTypes: true, MayHavePooler: true);
    public static OnnxImportFamily Roberta { get; } = new("roberta", "encoder.layer", OnnxLayerKeys.Bert, TokenTypes: true, MayHavePooler: true);
    public static OnnxImportFamily DistilBert { get; } = new("distilbert", "transformer.layer", OnnxLayerKeys.DistilBert, TokenTypes: false, MayHavePooler: false);

    /// <summary>The family of the placed <paramref name="weights"/>, or an error naming the first weight no family has.</summary>
    public static OnnxImportFamily Detect(IReadOnlyDictionary<string, ImportedWeight> weights, OnnxGraphView graph)
    {
        if (weights.Keys.Any(k => k.StartsWith("transformer.layer.", StringComparison.Ordinal))) return DistilBert;
        if (weights.Keys.Any(k => k.StartsWith("encoder.layer.", StringComparison.Ordinal))) return graph.Has("CumSum") ? Roberta : Bert;
        string first = weights.Keys.FirstOrDefault() ?? graph.File.Graph.Initializer.FirstOrDefault()?.Name ?? "(none)";
        throw new CheckpointFormatException(graph.File.Path, $"initializer '{first}' is not a weight of a BERT, RoBERTa or DistilBERT encoder " +
            "(no encoder.layer.* or transformer.layer.* weights were found); only those encoder families can be imported");
    }

    /// <summary>Number of layers: the distinct indices under <see cref="LayerStack"/>.</summary>
    public int CountLayers(IEnumerable<string> keys) => keys
        .Where(k => k.StartsWith(LayerStack + ".", StringComparison.Ordinal))
        .Select(k => k[(LayerStack.Length + 1)..].Split('.')[0]).Distinct().Count();

    /// <summary>Every key an encoder of this family with <paramref name="layers"/> layers has (the pooler's only when present).</summary>
    public IReadOnlyList<string> ExpectedKeys(int layers, bool pooler)
    {
        var keys = new List<string> { "embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight" };
        if (TokenTypes) keys.Add("embeddings.token_type_embeddings.weight");
        keys.AddRange(["embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias"]);
        var k = LayerKeys;
        for (int i = 0; i < layers; i++)
            foreach (var module in new[] { k.Query, k.Key, k.Value, k.AttentionOutput, k.AttentionNorm, k.FeedForwardIn, k.FeedForwardOut, k.OutputNorm })
                keys.AddRange([$"{LayerStack}.{i}.{module}.weight", $"{LayerStack}.{i}.{module}.bias"]);
        if (pooler) keys.AddRange(["pooler.dense.weight", "pooler.dense.bias"]);
        return keys;
    }

    /// <summary>Refuses weights outside the family's key set (naming the first) and names the first key the graph lacks.</summary>
    public void CheckKeys(IReadOnlyDictionary<string, ImportedWeight> weights, int layers, string path)
    {
        bool pooler = MayHavePooler && weights.ContainsKey("pooler.dense.weight");
        var expected = ExpectedKeys(layers, pooler);
        var known = expected.ToHashSet(StringComparer.Ordinal);
        if (weights.Keys.FirstOrDefault(k => !known.Contains(k)) is { } stray)
            throw new CheckpointFormatException(path, $"initializer '{stray}' is not a weight of a {layers}-layer {ModelType} encoder, so the graph cannot be mapped");
        if (expected.FirstOrDefault(k => !weights.ContainsKey(k)) is { } missing)
            throw new CheckpointFormatException(path, $"the graph has no weight that places as '{missing}' ({ModelType} encoder, {layers} layers)");
    }
}
