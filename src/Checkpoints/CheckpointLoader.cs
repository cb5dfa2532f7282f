using System.Text.Json;
using TorchSharp;

namespace MLNet.Transformers.Checkpoints;

/// <summary>
/// Loads and saves the weights of a checkpoint directory in Hugging Face layout: <c>model.safetensors</c>, or
/// shards listed by <c>model.safetensors.index.json</c>. Pickle checkpoints (<c>pytorch_model.bin</c>, <c>*.pt</c>,
/// ...) are refused because unpickling can run arbitrary code; the error explains how to convert them.
/// </summary>
internal static class CheckpointLoader
{
    /// <summary>The single-file weights name Hugging Face uses.</summary>
    public const string WeightsFileName = "model.safetensors";

    /// <summary>The index of a sharded checkpoint (<c>weight_map</c>: tensor name → shard file).</summary>
    public const string ShardIndexFileName = "model.safetensors.index.json";

    private static readonly string[] PickleExtensions = [".bin", ".pt", ".pth", ".ckpt", ".pkl"];

    /// <summary>Loads every tensor of a checkpoint directory (single file or sharded) as CPU tensors.</summary>
    /// <param name="directory">A directory holding <c>model.safetensors</c> or <c>model.safetensors.index.json</c> and its shards.</param>
    /// <returns>State-dict key → tensor. The caller owns (and disposes) the tensors.</returns>
    /// <exception cref="CheckpointFormatException">The directory or its weights are missing, malformed,
    /// inconsistent with the index, or only available as pickle files.</exception>
    public static Dictionary<string, torch.Tensor> LoadStateDict(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!Directory.Exists(directory))
            throw new CheckpointFormatException(directory, $"checkpoint directory not found (looked for {WeightsFileName} or {ShardIndexFileName} in it)");

        string single = Path.Combine(directory, WeightsFileName);
        if (File.Exists(single))
            return SafeTensors.Load(single);
        string index = Path.Combine(directory, ShardIndexFileName);
        if (File.Exists(index))
            return LoadSharded(directory, index);

        var pickles = Directory.EnumerateFiles(directory)
            .Where(f => PickleExtensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
            .Select(Path.GetFileName)
            .Order(StringComparer.Ordinal)
            .ToList();
        if (pickles.Count > 0)
        {
            throw new CheckpointFormatException(directory,
                $"only pickle weights found ({string.Join(", ", pickles)}). Pickle files are refused because loading them can run arbitrary code. " +
                $"Convert them to {WeightsFileName} once, in Python: " +
                "`from transformers import AutoModel; AutoModel.from_pretrained(dir).save_pretrained(dir, safe_serialization=True)` " +
                "or `import torch, safetensors.torch; safetensors.torch.save_file(torch.load(path, weights_only=True), 'model.safetensors')`.");
        }
        throw new CheckpointFormatException(directory, $"no weights file found (looked for {WeightsFileName} and {ShardIndexFileName})");
    }

    /// <summary>
    /// Reads only the safetensors headers of a checkpoint directory: every tensor's dtype and shape and the file holding it,
    /// so a config can be checked against the weights before anything is allocated.
    /// </summary>
    /// <exception cref="CheckpointFormatException">As <see cref="LoadStateDict"/>.</exception>
    internal static Dictionary<string, TensorHeader> ReadTensorHeaders(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        string single = Path.Combine(directory, WeightsFileName), index = Path.Combine(directory, ShardIndexFileName);
        IEnumerable<string> files = File.Exists(single) ? [single]
            : File.Exists(index) ? ReadWeightMap(index).Values.Distinct().Order(StringComparer.Ordinal).Select(shard => Path.Combine(directory, shard))
            : [];
        var headers = new Dictionary<string, TensorHeader>(StringComparer.Ordinal);
        foreach (string file in files)
        {
            if (!File.Exists(file)) throw new CheckpointFormatException(index, $"shard '{Path.GetFileName(file)}' listed in weight_map does not exist in {directory}");
            foreach (var entry in SafeTensors.ReadEntries(file))
                headers.TryAdd(entry.Name, new TensorHeader(entry.DType, entry.Shape, file));
        }
        if (headers.Count == 0 && !File.Exists(single) && !File.Exists(index))
            LoadStateDict(directory);   // throws the explanatory error (missing directory, pickle only, no weights)
        return headers;
    }

    /// <summary>
    /// Writes tensors to <c>&lt;directory&gt;/model.safetensors</c> with the metadata Hugging Face writes
    /// (<c>{"format": "pt"}</c>), creating the directory if needed.
    /// </summary>
    /// <param name="directory">The checkpoint directory.</param>
    /// <param name="tensors">State-dict key → tensor.</param>
    public static void SaveStateDict(string directory, IEnumerable<KeyValuePair<string, torch.Tensor>> tensors)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory.CreateDirectory(directory);
        SafeTensors.Save(Path.Combine(directory, WeightsFileName), tensors, new Dictionary<string, string> { ["format"] = "pt" });
    }

    private static Dictionary<string, torch.Tensor> LoadSharded(string directory, string indexPath)
    {
        var weightMap = ReadWeightMap(indexPath);
        foreach (string shard in weightMap.Values.Distinct())
        {
            if (!File.Exists(Path.Combine(directory, shard)))
                throw new CheckpointFormatException(indexPath, $"shard '{shard}' listed in weight_map does not exist in {directory}");
        }

        var result = new Dictionary<string, torch.Tensor>(StringComparer.Ordinal);
        var shardOf = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            foreach (string shard in weightMap.Values.Distinct().Order(StringComparer.Ordinal))
            {
                string shardPath = Path.Combine(directory, shard);
                foreach (var (name, tensor) in SafeTensors.Load(shardPath))
                {
                    // Track first, so the tensor is disposed if a check below fails.
                    if (!result.TryAdd(name, tensor))
                    {
                        tensor.Dispose();
                        throw new CheckpointFormatException(shardPath, $"tensor '{name}' is also in shard '{shardOf[name]}' (a tensor must be in exactly one shard)");
                    }
                    shardOf[name] = shard;
                    if (!weightMap.TryGetValue(name, out string? expected))
                        throw new CheckpointFormatException(shardPath, $"tensor '{name}' is not listed in {indexPath}");
                    if (expected != shard)
                        throw new CheckpointFormatException(shardPath, $"tensor '{name}' is mapped to shard '{expected}' by {indexPath}");
                }
            }
            foreach (var (name, shard) in weightMap)
            {
                if (!result.ContainsKey(name))
                    throw new CheckpointFormatException(Path.Combine(directory, shard), $"tensor '{name}' listed in {indexPath} is missing from this shard");
            }
        }
        catch
        {
            foreach (var t in result.Values)
                t.Dispose();
            throw;
        }
        return result;
    }

    private static Dictionary<string, string> ReadWeightMap(string indexPath)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(indexPath));
        }
        catch (JsonException e)
        {
            throw new CheckpointFormatException(indexPath, $"shard index is not valid JSON: {e.Message}", e);
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("weight_map", out var map)
                || map.ValueKind != JsonValueKind.Object)
                throw new CheckpointFormatException(indexPath, "shard index needs a 'weight_map' object (tensor name → shard file)");

            var weightMap = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var entry in map.EnumerateObject())
            {
                if (entry.Value.ValueKind != JsonValueKind.String)
                    throw new CheckpointFormatException(indexPath, $"weight_map entry '{entry.Name}' must be a shard file name, found {entry.Value.ValueKind}");
                string shard = entry.Value.GetString()!;
                // Shards live next to the index: a path would let an index point anywhere on disk.
                if (shard.Length == 0 || Path.GetFileName(shard) != shard)
                    throw new CheckpointFormatException(indexPath, $"weight_map entry '{entry.Name}' names shard '{shard}', which is not a plain file name");
                if (!weightMap.TryAdd(entry.Name, shard))
                    throw new CheckpointFormatException(indexPath, $"weight_map names tensor '{entry.Name}' twice");
            }
            return weightMap;
        }
    }
}

/// <summary>One tensor as described by a safetensors header: dtype, shape and the file it is stored in.</summary>
internal sealed record TensorHeader(torch.ScalarType DType, long[] Shape, string File);
