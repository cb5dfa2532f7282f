using MLNet.Transformers.Checkpoints;

namespace MLNet.Transformers.Onnx.Import;

/// <summary>The sizes every imported encoder's config is made of, read off the weights and graph by <see cref="OnnxConfigInference"/>.</summary>
internal sealed record ImportedEncoderShape(int VocabSize, int HiddenSize, int MaxPositions, int Layers, int IntermediateSize, int Heads,
    double LayerNormEps, string Activation);

/// <summary>
/// An encoder family as the importer sees it: the key of its layer list, the keys inside a layer (the exporter's
/// <see cref="OnnxLayerKeys"/>), whether it has token types and a pooler, how it is recognised, and how its config.json is
/// written. Each family's instance lives in its folder (<c>EncoderFamily.OnnxImport</c>); <see cref="Detect"/> asks every
/// registered family in turn, and every weight is then checked against the family's key set, so a graph of another
/// architecture is refused naming the first weight that does not belong.
/// </summary>
/// <param name="ModelType">config.json's model_type.</param>
/// <param name="LayerStack">Key of the layer list ("encoder.layer").</param>
/// <param name="LayerKeys">Keys inside one layer.</param>
/// <param name="TokenTypes">Whether token-type embeddings exist.</param>
/// <param name="MayHavePooler">Whether a pooler may be present.</param>
/// <param name="Recognises">Whether placed weight keys and the graph are this family's (families' predicates must exclude each other).</param>
/// <param name="CreateConfig">The family's config record for an imported shape (its own fields read from the weights and graph).</param>
internal sealed record OnnxImportFamily(string ModelType, string LayerStack, OnnxLayerKeys LayerKeys, bool TokenTypes, bool MayHavePooler,
    Func<IReadOnlyCollection<string>, OnnxGraphView, bool> Recognises,
    Func<ImportedEncoderShape, IReadOnlyDictionary<string, ImportedWeight>, OnnxGraphView, object> CreateConfig)
{
    /// <summary>The family of the placed <paramref name="weights"/>, or an error naming the first weight no family has.</summary>
    public static OnnxImportFamily Detect(IReadOnlyDictionary<string, ImportedWeight> weights, OnnxGraphView graph)
    {
        var keys = weights.Keys.ToList();
        if (Models.EncoderFamilies.All.Select(f => f.OnnxImport).FirstOrDefault(f => f.Recognises(keys, graph)) is { } family) return family;
        string first = weights.Keys.FirstOrDefault() ?? graph.File.Graph.Initializer.FirstOrDefault()?.Name ?? "(none)";
        var layerStacks = Models.EncoderFamilies.All.Select(f => f.OnnxImport.LayerStack + ".*").Distinct();
        throw new CheckpointFormatException(graph.File.Path, $"initializer '{first}' is not a weight of a {string.Join(", ", Models.EncoderFamilies.ModelTypes)} encoder " +
            $"(no {string.Join(" or ", layerStacks)} weights were found); only those encoder families can be imported");
    }

    /// <summary>Whether any key lies under <paramref name="layerStack"/> (e.g. "encoder.layer").</summary>
    public static bool HasLayers(IEnumerable<string> keys, string layerStack) => keys.Any(k => k.StartsWith(layerStack + ".", StringComparison.Ordinal));

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
