using System.Text.Json.Nodes;

namespace MLNet.Transformers;

/// <summary>
/// Which of a repository's files a checkpoint needs, so a download fetches those and not the TensorFlow, Flax, ONNX or pickle
/// copies beside them: <c>config.json</c>, <c>model.safetensors</c> or <c>model.safetensors.index.json</c> and its shards,
/// the tokenizer files present, and for a sentence-transformers repository <c>modules.json</c>,
/// <c>sentence_bert_config.json</c> and the files of its module folders (<c>1_Pooling/config.json</c>, …).
/// </summary>
internal static class HubFileSelection
{
    public const string ShardIndex = "model.safetensors.index.json";
    public const string Modules = "modules.json";

    private static readonly string[] TokenizerFiles =
        ["vocab.txt", "vocab.json", "merges.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json", "spiece.model"];

    // Inside a module folder: configuration, vocabularies and safetensors weights; never another format's weights.
    private static readonly string[] ModuleExtensions = [".json", ".txt", ".model", ".safetensors"];

    /// <summary>The files to fetch first; <see cref="Shards"/> and <see cref="ModuleFiles"/> add what those files name.</summary>
    public static List<string> Initial(HubRevisionInfo info, HubFileSet set, string repoLabel)
    {
        var has = new HashSet<string>(info.Files, StringComparer.Ordinal);
        var wanted = new List<string>();
        bool sentenceTransformers = has.Contains(Modules);
        if (has.Contains("config.json")) wanted.Add("config.json");
        else if (set == HubFileSet.Checkpoint && !sentenceTransformers) throw Missing(["config.json"], info, repoLabel);
        if (set == HubFileSet.Checkpoint)
        {
            if (has.Contains("model.safetensors")) wanted.Add("model.safetensors");
            else if (has.Contains(ShardIndex)) wanted.Add(ShardIndex);
            else if (!sentenceTransformers) throw NoSafetensors(info, repoLabel);
        }
        wanted.AddRange(TokenizerFiles.Where(has.Contains));
        if (set == HubFileSet.Tokenizer && !TokenizerFiles.Any(has.Contains)) throw Missing(["a tokenizer file (" + string.Join(", ", TokenizerFiles) + ")"], info, repoLabel);
        if (set == HubFileSet.Checkpoint && sentenceTransformers)
        {
            wanted.Add(Modules);
            if (has.Contains("sentence_bert_config.json")) wanted.Add("sentence_bert_config.json");
        }
        return wanted;
    }

    /// <summary>The shard files a downloaded <c>model.safetensors.index.json</c> names in its weight_map.</summary>
    public static IEnumerable<string> Shards(string indexPath, HubRevisionInfo info, string repoLabel)
    {
        var map = Parse(indexPath)?["weight_map"] as JsonObject
            ?? throw new InvalidOperationException($"{indexPath} has no 'weight_map' object; the sharded checkpoint of {repoLabel} cannot be fetched.");
        var shards = map.Select(p => p.Value?.GetValue<string>() ?? "").Distinct().ToList();
        var absent = shards.Where(s => !info.Files.Contains(s)).ToList();
        if (absent.Count > 0) throw Missing(absent, info, repoLabel);
        return shards;
    }

    /// <summary>The files of the module folders a downloaded <c>modules.json</c> lists (the root module's are fetched anyway).</summary>
    public static IEnumerable<string> ModuleFiles(string modulesPath, HubRevisionInfo info)
    {
        var folders = (Parse(modulesPath) as JsonArray ?? [])
            .Select(m => m?["path"]?.GetValue<string>()?.Trim('/') ?? "")
            .Where(p => p.Length > 0).Select(p => p + "/").ToList();
        return info.Files.Where(f => folders.Any(d => f.StartsWith(d, StringComparison.Ordinal))
            && ModuleExtensions.Any(e => f.EndsWith(e, StringComparison.OrdinalIgnoreCase)));
    }

    /// <summary>A needed file the repository does not have, naming what it does have.</summary>
    public static InvalidOperationException Missing(IReadOnlyList<string> files, HubRevisionInfo info, string repoLabel) =>
        new($"{repoLabel} has no {string.Join(", ", files)}. It has: {Listing(info)}.");

    // Pickle is refused: unpickling is code execution in Python, and the .NET readers are not restricted to tensors
    // (see the README, "Hugging Face Hub ids"). Many repositories have a safetensors conversion as an open pull request.
    private static InvalidOperationException NoSafetensors(HubRevisionInfo info, string repoLabel)
    {
        bool pickle = info.Files.Any(f => f is "pytorch_model.bin" or "pytorch_model.bin.index.json");
        return new InvalidOperationException(pickle
            ? $"{repoLabel} has its weights only as pytorch_model.bin (a pickle), which this library does not load. Use a revision that has " +
              "model.safetensors (the Hub's safetensors conversion bot often opened one as a pull request: 'org/name@refs/pr/N'), or convert once " +
              "in Python: AutoModel.from_pretrained(\"org/name\").save_pretrained(\"folder\", safe_serialization=True), and pass the folder. " +
              $"It has: {Listing(info)}."
            : $"{repoLabel} has no model.safetensors or model.safetensors.index.json. It has: {Listing(info)}.");
    }

    private static string Listing(HubRevisionInfo info) => info.Files.Count == 0 ? "no files" : string.Join(", ", info.Files.Order(StringComparer.Ordinal));

    private static JsonNode? Parse(string path)
    {
        try { return JsonNode.Parse(File.ReadAllText(path)); }
        catch (System.Text.Json.JsonException e) { throw new InvalidOperationException($"{path} is not valid JSON: {e.Message}", e); }
    }
}
