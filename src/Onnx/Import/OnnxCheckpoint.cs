using System.Security.Cryptography;
using System.Text.Json.Nodes;
using MLNet.Transformers.Checkpoints;
using MLNet.Transformers.Onnx.Import;
using TorchSharp;

namespace MLNet.Transformers.Onnx;

/// <summary>
/// Turns a BERT / RoBERTa / DistilBERT encoder exported to ONNX into a Hugging Face layout folder (config.json,
/// model.safetensors, tokenizer files) that every encoder estimator takes.
/// </summary>
/// <remarks>
/// Weights are matched by graph structure (see the remarks of <see cref="Import"/>), the config is inferred from the graph,
/// and the tokenizer files beside the <c>.onnx</c> are copied: <c>vocab.txt</c> (BERT, DistilBERT; CRLF line ends load) or
/// <c>vocab.json</c> + <c>merges.txt</c> (RoBERTa), plus <c>tokenizer_config.json</c>, <c>special_tokens_map.json</c> and a
/// sentence-transformers description (<c>modules.json</c>, <c>sentence_bert_config.json</c> and the module folders it names)
/// when present. fp32 tensors are read inline or from ONNX external data.
/// </remarks>
public static class OnnxCheckpoint
{
    /// <summary>Environment variable naming this library's cache root (ONNX imports go to its <c>onnx/</c> folder).</summary>
    public const string CacheEnvironmentVariable = "MLNET_TRANSFORMERS_CACHE";

    private const string CompleteMarker = ".import-complete";
    private static readonly string[] TokenizerFiles = ["vocab.txt", "vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json"];
    private static readonly string[] SentenceTransformersFiles = ["modules.json", "sentence_bert_config.json", "config_sentence_transformers.json"];

    /// <summary>
    /// The folder <see cref="ImportCached(string)"/> imports into: <c>$MLNET_TRANSFORMERS_CACHE/onnx</c>, else
    /// <c>~/.cache/mlnet-transformers/onnx</c>.
    /// </summary>
    public static string DefaultCacheDirectory =>
        Environment.GetEnvironmentVariable(CacheEnvironmentVariable) is { Length: > 0 } root ? Path.Combine(root, "onnx")
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "mlnet-transformers", "onnx");

    /// <summary>Imports <paramref name="onnxPath"/> into <paramref name="outputDirectory"/> and returns that folder.</summary>
    /// <param name="onnxPath">An encoder exported to ONNX (PyTorch / Optimum / this library's <c>ExportOnnx</c>, fp32), with its tokenizer files beside it.</param>
    /// <param name="outputDirectory">The folder to write; it must not exist or be empty. Written to a temporary sibling and moved into place, so it is never half-written.</param>
    /// <returns><paramref name="outputDirectory"/>.</returns>
    /// <remarks>
    /// A Linear weight that PyTorch folded into an unnamed <c>MatMul</c> initializer ([in, out]) takes the name of the bias the
    /// following <c>Add</c> reads and is transposed to Hugging Face's [out, in]; a <c>Gemm</c> (the pooler) is read by its
    /// <c>transB</c>; embeddings, LayerNorms, biases and Optimum's named weights keep their names. The config (layers, hidden,
    /// heads, intermediate, vocabulary, positions, token types, LayerNorm epsilon, activation, model_type) comes from the graph.
    /// </remarks>
    /// <exception cref="CheckpointFormatException">The file is not ONNX, or the graph cannot be mapped: the message names the first initializer or node that could not be placed.</exception>
    /// <exception cref="InvalidOperationException">No tokenizer files are beside the model, or <paramref name="outputDirectory"/> is not empty.</exception>
    public static string Import(string onnxPath, string outputDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(onnxPath);
        ArgumentException.ThrowIfNullOrWhiteSpace(outputDirectory);
        if (Directory.Exists(outputDirectory) && Directory.EnumerateFileSystemEntries(outputDirectory).Any())
            throw new InvalidOperationException($"ONNX import target '{outputDirectory}' is not empty; pass a new folder (or use ImportCached).");
        string staging = Staging(outputDirectory);
        try
        {
            WriteCheckpoint(onnxPath, staging);
            if (Directory.Exists(outputDirectory)) Directory.Delete(outputDirectory);
            Directory.Move(staging, outputDirectory);
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
        return outputDirectory;
    }

    /// <summary>
    /// Imports <paramref name="onnxPath"/> once into a cache folder keyed by the file's sha256 and returns that folder;
    /// later calls with the same file return the cached folder.
    /// </summary>
    /// <param name="onnxPath">The <c>.onnx</c> file (tokenizer files beside it).</param>
    /// <returns><c>&lt;<see cref="DefaultCacheDirectory"/>&gt;/&lt;sha256&gt;</c>.</returns>
    public static string ImportCached(string onnxPath) => ImportCached(onnxPath, DefaultCacheDirectory);

    /// <summary>As <see cref="ImportCached(string)"/>, into <c>&lt;<paramref name="cacheDirectory"/>&gt;/&lt;sha256&gt;</c>.</summary>
    public static string ImportCached(string onnxPath, string cacheDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(onnxPath);
        ArgumentException.ThrowIfNullOrWhiteSpace(cacheDirectory);
        if (!File.Exists(onnxPath)) throw new FileNotFoundException($"ONNX file '{onnxPath}' does not exist.", onnxPath);
        string folder = Path.Combine(cacheDirectory, Sha256(onnxPath));
        if (File.Exists(Path.Combine(folder, CompleteMarker))) return folder;
        string staging = Staging(folder);
        try
        {
            WriteCheckpoint(onnxPath, staging);
            File.WriteAllText(Path.Combine(staging, CompleteMarker), Path.GetFullPath(onnxPath) + "\n");
            try { Directory.Move(staging, folder); }
            catch (IOException) when (File.Exists(Path.Combine(folder, CompleteMarker))) { }   // another process finished first: same bytes
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
        return folder;
    }

    private static string Staging(string target)
    {
        string full = Path.GetFullPath(target);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        return $"{full}.partial-{Environment.ProcessId}-{Guid.NewGuid():N}";
    }

    private static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static void WriteCheckpoint(string onnxPath, string directory)
    {
        string source = Path.GetDirectoryName(Path.GetFullPath(onnxPath))!;
        if (!File.Exists(Path.Combine(source, "vocab.txt")) && !(File.Exists(Path.Combine(source, "vocab.json")) && File.Exists(Path.Combine(source, "merges.txt"))))
            throw new InvalidOperationException($"No tokenizer files beside '{onnxPath}': put vocab.txt (BERT, DistilBERT) or vocab.json + merges.txt (RoBERTa) in {source}.");

        var graph = new OnnxGraphView(OnnxModelFile.Read(onnxPath));
        var weights = OnnxWeightPlacement.Place(graph);
        var family = OnnxImportFamily.Detect(weights, graph);
        family.CheckKeys(weights, family.CountLayers(weights.Keys), onnxPath);

        Directory.CreateDirectory(directory);
        OnnxConfigInference.WriteConfig(family, weights, graph, directory);
        using (var scope = torch.NewDisposeScope())
            CheckpointLoader.SaveStateDict(directory, weights.Select(w => KeyValuePair.Create(w.Key, torch.tensor(w.Value.Values, w.Value.Shape))));
        foreach (var name in TokenizerFiles.Concat(SentenceTransformersFiles).Where(n => File.Exists(Path.Combine(source, n))))
            File.Copy(Path.Combine(source, name), Path.Combine(directory, name));
        foreach (var module in SentenceTransformersModules(source))
            CopyFolder(Path.Combine(source, module), Path.Combine(directory, module));
    }

    // modules.json's non-root module folders (1_Pooling, 2_Normalize, …): copied so the folder keeps its pooling and Normalize.
    private static IEnumerable<string> SentenceTransformersModules(string source)
    {
        var modules = Path.Combine(source, "modules.json");
        if (!File.Exists(modules)) return [];
        return (JsonNode.Parse(File.ReadAllText(modules)) as JsonArray ?? [])
            .Select(m => m?["path"]?.GetValue<string>() ?? "")
            .Where(p => p.Length > 0 && !Path.IsPathRooted(p) && !p.Contains("..", StringComparison.Ordinal));
    }

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        if (!Directory.Exists(from)) return;   // sentence-transformers' Normalize folder holds no files
        foreach (var file in Directory.EnumerateFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (var sub in Directory.EnumerateDirectories(from)) CopyFolder(sub, Path.Combine(to, Path.GetFileName(sub)));
    }
}
