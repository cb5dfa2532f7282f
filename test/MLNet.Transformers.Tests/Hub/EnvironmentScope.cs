namespace MLNet.Transformers.Tests.Hub;

/// <summary>Sets process environment variables for one test and restores their old values on dispose (tests run one at a time).</summary>
internal sealed class EnvironmentScope : IDisposable
{
    // Every variable HubOptions.FromEnvironment reads: a test starts from none of the machine's.
    private static readonly string[] HubVariables =
        ["HF_HOME", "XDG_CACHE_HOME", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH", "HF_ENDPOINT", "HF_HUB_OFFLINE"];

    private readonly Dictionary<string, string?> saved = [];

    public EnvironmentScope(params (string Name, string? Value)[] variables)
    {
        foreach (var name in HubVariables.Concat(variables.Select(v => v.Name)).Distinct())
        {
            saved[name] = Environment.GetEnvironmentVariable(name);
            Environment.SetEnvironmentVariable(name, null);
        }
        foreach (var (name, value) in variables) Environment.SetEnvironmentVariable(name, value);
    }

    public void Dispose()
    {
        foreach (var (name, value) in saved) Environment.SetEnvironmentVariable(name, value);
    }
}
