using MLNet.Transformers.Checkpoints;

namespace MLNet.Transformers.Models.Bert;

/// <summary>
/// Checks <c>config.json</c> against the checkpoint's safetensors headers (shapes only; no tensor data is read) before the
/// model is allocated, so a wrong or hostile size fails with the field's name instead of allocating gigabytes or crashing
/// in native code. The strict loader still compares every tensor afterwards.
/// </summary>
internal static class BertWeightsCheck
{
    /// <summary>Throws a <see cref="CheckpointFormatException"/> naming config.json, the field and the tensor that disagree.</summary>
    public static void ConfigMatchesWeights(BertConfig config, string directory)
    {
        var configPath = Path.Combine(directory, "config.json");
        RequireFitsInMemory(config, configPath);
        var headers = CheckpointLoader.ReadTensorHeaders(directory)
            .GroupBy(kv => BertCheckpoint.ToModelKey(kv.Key, encoderPrefixed: false))
            .ToDictionary(g => g.Key, g => (Name: g.First().Key, Header: g.First().Value));

        (string Name, TensorHeader Header) Tensor(string key) => headers.TryGetValue(key, out var t) ? t
            : throw new CheckpointFormatException(directory,
                $"the weights have no tensor '{key}' (with or without the 'bert.' prefix); it is not a BERT checkpoint, or config.json describes another architecture");

        void Dim(string key, int axis, long expected, string field)
        {
            var (name, header) = Tensor(key);
            if (header.Shape.Length != 2)
                throw new CheckpointFormatException(header.File, $"tensor '{name}' has shape [{string.Join(", ", header.Shape)}]; a 2-D matrix was expected");
            if (header.Shape[axis] != expected)
                throw new CheckpointFormatException(configPath,
                    $"field '{field}' is {expected}, but tensor '{name}' in {Path.GetFileName(header.File)} has shape [{string.Join(", ", header.Shape)}] (dimension {axis} should be {field})");
        }

        Dim("embeddings.word_embeddings.weight", 1, config.HiddenSize, "hidden_size");
        Dim("embeddings.word_embeddings.weight", 0, config.VocabSize, "vocab_size");
        Dim("embeddings.position_embeddings.weight", 0, config.MaxPositionEmbeddings, "max_position_embeddings");
        Dim("embeddings.token_type_embeddings.weight", 0, config.TypeVocabSize, "type_vocab_size");
        Dim("encoder.layer.0.intermediate.dense.weight", 0, config.IntermediateSize, "intermediate_size");

        int layers = headers.Keys.Where(k => k.StartsWith("encoder.layer.", StringComparison.Ordinal))
            .Select(k => k.Split('.')[2]).Distinct().Count();
        // More layers in the file than in the config is left to the strict loader, which lists the unexpected keys.
        if (config.NumHiddenLayers > layers)
            throw new CheckpointFormatException(configPath, $"field 'num_hidden_layers' is {config.NumHiddenLayers}, but the weights hold {layers} encoder layers");
    }

    /// <summary>Refuses a config whose float32 weights alone would not fit in this machine's memory.</summary>
    public static void RequireFitsInMemory(BertConfig config, string source)
    {
        long bytes = config.ParameterCount * sizeof(float);
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (available > 0 && bytes > available)
            throw new CheckpointFormatException(source,
                $"the config describes {config.ParameterCount:N0} parameters ({bytes / (1 << 20):N0} MiB in float32; hidden_size {config.HiddenSize}, " +
                $"num_hidden_layers {config.NumHiddenLayers}, intermediate_size {config.IntermediateSize}, vocab_size {config.VocabSize}), " +
                $"more than this machine's {available / (1 << 20):N0} MiB");
    }
}
