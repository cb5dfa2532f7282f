using System.Text.Json.Nodes;

namespace MLNet.Transformers.Transforms;

/// <summary>
/// What a sentence-transformers folder says about embedding (its <c>modules.json</c>): where the Transformer module's
/// checkpoint is, the <c>1_Pooling/config.json</c> mode, whether a <c>Normalize</c> module follows, and
/// <c>sentence_bert_config.json</c>'s <c>max_seq_length</c>. Modules this library cannot run (Dense, several pooling modes
/// at once, mean-sqrt-len, weighted mean, last token) are refused with the module's name rather than silently skipped.
/// </summary>
internal sealed record SentenceTransformersFolder(string TransformerDirectory, EmbeddingPooling Pooling, bool Normalize, int? MaxSeqLength)
{
    /// <summary>Reads <paramref name="directory"/>'s modules.json, or returns null when there is none (a plain HF checkpoint).</summary>
    public static SentenceTransformersFolder? TryRead(string directory)
    {
        var modulesPath = Path.Combine(directory, "modules.json");
        if (!File.Exists(modulesPath)) return null;
        var modules = Parse(modulesPath) as JsonArray ?? throw new InvalidOperationException($"{modulesPath} must be a JSON array of modules.");
        string transformer = directory;
        EmbeddingPooling? pooling = null;
        bool normalize = false;
        foreach (var module in modules)
        {
            string type = module?["type"]?.GetValue<string>() ?? throw new InvalidOperationException($"{modulesPath}: a module has no 'type'.");
            string path = Path.Combine(directory, module?["path"]?.GetValue<string>() ?? "");
            switch (type.Split('.')[^1])
            {
                case "Transformer": transformer = path; break;
                case "Pooling": pooling = ReadPooling(Path.Combine(path, "config.json")); break;
                case "Normalize": normalize = true; break;
                default: throw new NotSupportedException($"{modulesPath}: module '{type}' is not supported (Transformer, Pooling and Normalize are).");
            }
        }
        int? maxSeqLength = null;
        var sbert = Path.Combine(directory, "sentence_bert_config.json");
        if (File.Exists(sbert)) maxSeqLength = Parse(sbert)?["max_seq_length"]?.GetValue<int>();
        return new SentenceTransformersFolder(transformer, pooling ?? EmbeddingPooling.Mean, normalize, maxSeqLength);
    }

    /// <summary>
    /// Writes the sentence-transformers files around an encoder already saved at <paramref name="directory"/>'s root:
    /// <c>modules.json</c> (Transformer at "", Pooling at 1_Pooling, Normalize at 2_Normalize when <paramref name="normalize"/>),
    /// <c>1_Pooling/config.json</c> and <c>sentence_bert_config.json</c> — what <see cref="TryRead"/> (and sentence-transformers) read back.
    /// </summary>
    public static void Write(string directory, EmbeddingPooling pooling, bool normalize, int hiddenSize, int maxSeqLength)
    {
        string mode = pooling switch
        {
            EmbeddingPooling.Cls => "pooling_mode_cls_token", EmbeddingPooling.Mean => "pooling_mode_mean_tokens", EmbeddingPooling.Max => "pooling_mode_max_tokens",
            _ => throw new ArgumentException($"sentence-transformers pooling is Cls, Mean or Max; {pooling} has no 1_Pooling form.", nameof(pooling)),
        };
        var modules = new JsonArray(
            new JsonObject { ["idx"] = 0, ["name"] = "0", ["path"] = "", ["type"] = "sentence_transformers.models.Transformer" },
            new JsonObject { ["idx"] = 1, ["name"] = "1", ["path"] = "1_Pooling", ["type"] = "sentence_transformers.models.Pooling" });
        if (normalize) modules.Add(new JsonObject { ["idx"] = 2, ["name"] = "2", ["path"] = "2_Normalize", ["type"] = "sentence_transformers.models.Normalize" });
        var poolingConfig = new JsonObject { ["word_embedding_dimension"] = hiddenSize };
        foreach (var key in new[] { "pooling_mode_cls_token", "pooling_mode_mean_tokens", "pooling_mode_max_tokens", "pooling_mode_mean_sqrt_len_tokens" })
            poolingConfig[key] = key == mode;
        var indented = new System.Text.Json.JsonSerializerOptions { WriteIndented = true };
        Directory.CreateDirectory(Path.Combine(directory, "1_Pooling"));
        File.WriteAllText(Path.Combine(directory, "modules.json"), modules.ToJsonString(indented));
        File.WriteAllText(Path.Combine(directory, "1_Pooling", "config.json"), poolingConfig.ToJsonString(indented));
        if (normalize) Directory.CreateDirectory(Path.Combine(directory, "2_Normalize"));
        File.WriteAllText(Path.Combine(directory, "sentence_bert_config.json"),
            new JsonObject { ["max_seq_length"] = maxSeqLength, ["do_lower_case"] = false }.ToJsonString(indented));
    }

    private static EmbeddingPooling ReadPooling(string path)
    {
        var config = Parse(path) ?? throw new InvalidOperationException($"{path} is empty.");
        bool On(string key) => config[key]?.GetValue<bool>() ?? false;
        var modes = new List<(string Key, EmbeddingPooling? Pooling)>
        {
            ("pooling_mode_cls_token", EmbeddingPooling.Cls), ("pooling_mode_mean_tokens", EmbeddingPooling.Mean),
            ("pooling_mode_max_tokens", EmbeddingPooling.Max), ("pooling_mode_mean_sqrt_len_tokens", null),
            ("pooling_mode_weightedmean_tokens", null), ("pooling_mode_lasttoken", null),
        }.Where(m => On(m.Key)).ToList();
        if (modes.Count != 1 || modes[0].Pooling is null)
            throw new NotSupportedException($"{path}: pooling {(modes.Count == 0 ? "with no mode set" : string.Join(" + ", modes.Select(m => m.Key)))} is not supported; " +
                "exactly one of pooling_mode_cls_token, pooling_mode_mean_tokens, pooling_mode_max_tokens must be true.");
        return modes[0].Pooling!.Value;
    }

    private static JsonNode? Parse(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"sentence-transformers file '{path}' is missing.", path);
        try { return JsonNode.Parse(File.ReadAllText(path)); }
        catch (System.Text.Json.JsonException e) { throw new InvalidOperationException($"{path} is not valid JSON: {e.Message}", e); }
    }
}
