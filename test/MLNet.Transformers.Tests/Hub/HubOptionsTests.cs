using MLNet.Transformers.Tests.Checkpoints;

namespace MLNet.Transformers.Tests.Hub;

/// <summary>HubOptions.FromEnvironment reads the variables as huggingface_hub does.</summary>
[TestClass]
public sealed class HubOptionsTests
{
    [TestMethod]
    public void Defaults_ComeFromHfHome_AndTheTokenFileThere()
    {
        using var home = new TempDirectory();
        File.WriteAllText(home.File("token"), "hf_from_file\n");
        using var env = new EnvironmentScope(("HF_HOME", home.Path));

        var options = HubOptions.FromEnvironment();

        Assert.AreEqual("https://huggingface.co", options.Endpoint);
        Assert.AreEqual(Path.Combine(home.Path, "hub"), options.CacheDirectory);
        Assert.AreEqual("hf_from_file", options.Token);
        Assert.IsFalse(options.Offline);
    }

    [TestMethod]
    public void Variables_HfHubCache_HfToken_HfEndpoint_HfHubOffline_Override()
    {
        using var home = new TempDirectory();
        File.WriteAllText(home.File("token"), "hf_from_file");
        using var env = new EnvironmentScope(("HF_HOME", home.Path), ("HF_HUB_CACHE", "/elsewhere/hub"), ("HF_TOKEN", "hf_from_env"),
            ("HF_ENDPOINT", "https://mirror.example/"), ("HF_HUB_OFFLINE", "1"));

        var options = HubOptions.FromEnvironment();

        Assert.AreEqual("https://mirror.example", options.Endpoint);
        Assert.AreEqual("/elsewhere/hub", options.CacheDirectory);
        Assert.AreEqual("hf_from_env", options.Token);
        Assert.IsTrue(options.Offline);
    }

    [TestMethod]
    public void WithoutHfHome_TheCacheIsUnderTheUsersDotCache()
    {
        using var env = new EnvironmentScope(("HF_HUB_OFFLINE", "false"));
        var options = HubOptions.FromEnvironment();
        Assert.AreEqual(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "huggingface", "hub"), options.CacheDirectory);
        Assert.IsFalse(options.Offline);
    }
}
