using MLNet.Transformers.Tests.Checkpoints;

namespace MLNet.Transformers.Tests.Hub;

/// <summary>
/// A loopback Hub serving the tiny BERT as <see cref="HubTestRepos.Id"/>, a fresh cache and HF_HOME, and the environment
/// variables that point the library at them (HF_ENDPOINT, HF_HUB_CACHE, HF_HOME), for tests that go through estimators.
/// </summary>
internal sealed class HubTestEnvironment : IDisposable
{
    private readonly TempDirectory home = new();
    private readonly EnvironmentScope scope;

    public HubTestEnvironment()
    {
        (Hub, Main) = HubTestRepos.Serve();
        scope = new EnvironmentScope(("HF_ENDPOINT", Hub.Endpoint), ("HF_HUB_CACHE", Cache.Path), ("HF_HOME", home.Path));
    }

    public FakeHub Hub { get; }

    public FakeCommit Main { get; }

    public TempDirectory Cache { get; } = new();

    /// <summary>The snapshot folder of <see cref="HubTestRepos.Id"/> at <paramref name="commit"/>.</summary>
    public string Snapshot(string commit) => Path.Combine(Cache.Path, "models--test-org--tiny-bert", "snapshots", commit);

    public void Dispose()
    {
        scope.Dispose();
        Hub.Dispose();
        Cache.Dispose();
        home.Dispose();
    }
}
