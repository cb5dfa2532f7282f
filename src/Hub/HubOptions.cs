namespace MLNet.Transformers;

/// <summary>
/// Where and how <see cref="HuggingFaceHub"/> downloads: the endpoint, the cache folder, the token and offline mode. The
/// defaults come from the same environment variables Python's <c>huggingface_hub</c> reads (<see cref="FromEnvironment"/>),
/// so both share one cache.
/// </summary>
public sealed record HubOptions
{
    /// <summary>The Hub's address (<c>HF_ENDPOINT</c>, default <c>https://huggingface.co</c>); a mirror answers the same URLs.</summary>
    public required string Endpoint { get; init; }

    /// <summary>The hub cache folder holding <c>models--org--name</c> folders (<c>HF_HUB_CACHE</c>, else <c>$HF_HOME/hub</c>, else <c>~/.cache/huggingface/hub</c>).</summary>
    public required string CacheDirectory { get; init; }

    /// <summary>A user access token sent as <c>Authorization: Bearer</c> (<c>HF_TOKEN</c>, else the token file <c>$HF_HOME/token</c>); null = anonymous.</summary>
    public string? Token { get; init; }

    /// <summary>Never touch the network; resolve from the cache only (<c>HF_HUB_OFFLINE=1</c>).</summary>
    public bool Offline { get; init; }

    /// <summary>The options the environment gives, read the way <c>huggingface_hub</c> reads them.</summary>
    public static HubOptions FromEnvironment()
    {
        string home = ExpandHome(Variable("HF_HOME"))
            ?? Path.Combine(ExpandHome(Variable("XDG_CACHE_HOME")) ?? Path.Combine(UserHome, ".cache"), "huggingface");
        string cache = ExpandHome(Variable("HF_HUB_CACHE")) ?? ExpandHome(Variable("HUGGINGFACE_HUB_CACHE")) ?? Path.Combine(home, "hub");
        string? token = Variable("HF_TOKEN") ?? Variable("HUGGING_FACE_HUB_TOKEN")
            ?? ReadTokenFile(ExpandHome(Variable("HF_TOKEN_PATH")) ?? Path.Combine(home, "token"));
        return new HubOptions
        {
            Endpoint = (Variable("HF_ENDPOINT") ?? "https://huggingface.co").TrimEnd('/'),
            CacheDirectory = cache,
            Token = token,
            Offline = IsTrue(Variable("HF_HUB_OFFLINE")),
        };
    }

    private static string UserHome => Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

    private static string? Variable(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v.Trim() : null;

    // huggingface_hub expands "~" in every path variable.
    private static string? ExpandHome(string? path) =>
        path is not null && (path == "~" || path.StartsWith("~/", StringComparison.Ordinal)) ? UserHome + path[1..] : path;

    // As huggingface_hub's _is_true: 1, ON, YES, TRUE in any case.
    private static bool IsTrue(string? value) => value?.ToUpperInvariant() is "1" or "ON" or "YES" or "TRUE";

    private static string? ReadTokenFile(string path)
    {
        try { return File.Exists(path) && File.ReadAllText(path).Trim() is { Length: > 0 } t ? t : null; }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }
}
