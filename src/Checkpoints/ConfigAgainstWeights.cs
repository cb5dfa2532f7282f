namespace MLNet.Transformers.Checkpoints;

/// <summary>
/// What every family's loader checks before it allocates a model (every encoder family, GPT-2 and T5): that the
/// config's parameters fit in this machine's memory, and that its sizes agree with the shapes in the safetensors headers
/// (no tensor data is read). A hostile or mistaken config.json fails with the field's name instead of allocating gigabytes;
/// the strict loader still compares every tensor afterwards.
/// </summary>
internal sealed class ConfigAgainstWeights
{
    private readonly string _directory;
    private readonly string _configPath;
    private readonly Dictionary<string, (string Name, TensorHeader Header)> _headers;

    /// <param name="directory">The checkpoint folder.</param>
    /// <param name="toModelKey">The family's renaming of stored keys (prefixes, aliases) into its model's key space.</param>
    public ConfigAgainstWeights(string directory, Func<string, string> toModelKey)
    {
        _directory = directory;
        _configPath = Path.Combine(directory, "config.json");
        _headers = CheckpointLoader.ReadTensorHeaders(directory).GroupBy(kv => toModelKey(kv.Key))
            .ToDictionary(g => g.Key, g => (g.First().Key, g.First().Value));
    }

    /// <summary>Refuses a config whose float32 parameters alone would not fit in this machine's memory.</summary>
    public static void RequireFitsInMemory(long parameters, string configPath, string sizes)
    {
        long bytes = parameters * sizeof(float), available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (available > 0 && bytes > available)
            throw new CheckpointFormatException(configPath, $"the config describes {parameters:N0} parameters ({bytes / (1 << 20):N0} MiB in float32; " +
                $"{sizes}), more than this machine's {available / (1 << 20):N0} MiB");
    }

    /// <summary>Whether the weights hold <paramref name="key"/> (model key space).</summary>
    public bool Has(string key) => _headers.ContainsKey(key);

    /// <summary>Dimension <paramref name="axis"/> of 2-D tensor <paramref name="key"/> must be <paramref name="expected"/> (config field <paramref name="field"/>).</summary>
    public void Dim(string key, int axis, long expected, string field)
    {
        if (!_headers.TryGetValue(key, out var t))
            throw new CheckpointFormatException(_directory, $"the weights have no tensor '{key}'; config.json describes another architecture, or the file is damaged");
        var shape = t.Header.Shape;
        if (shape.Length != 2)
            throw new CheckpointFormatException(t.Header.File, $"tensor '{t.Name}' has shape [{string.Join(", ", shape)}]; a 2-D matrix was expected");
        if (shape[axis] != expected)
            throw new CheckpointFormatException(_configPath, $"field '{field}' is {expected}, but tensor '{t.Name}' in {Path.GetFileName(t.Header.File)} " +
                $"has shape [{string.Join(", ", shape)}] (dimension {axis} should be {field})");
    }

    /// <summary>The weights must hold at least <paramref name="configured"/> blocks numbered after <paramref name="prefix"/> (e.g. "transformer.h.").</summary>
    public void LayersAtLeast(string prefix, int configured, string field)
    {
        int stored = _headers.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal))
            .Select(k => k[prefix.Length..].Split('.')[0]).Distinct().Count();
        // More blocks in the file than in the config is left to the strict loader, which lists the unexpected keys.
        if (configured > stored)
            throw new CheckpointFormatException(_configPath, $"field '{field}' is {configured}, but the weights hold {stored} blocks '{prefix}N.'");
    }
}
