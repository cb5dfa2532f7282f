using MLNet.Transformers.Tests.Checkpoints;

namespace MLNet.Transformers.Tests.Hub;

/// <summary>What HuggingFaceHub.Download says when it cannot deliver: each message names the thing and what to do.</summary>
[TestClass]
public sealed class HuggingFaceHubErrorTests
{
    [TestMethod]
    public void UnknownRepo_NamesTheRepo_AndHfToken()
    {
        var (hub, _) = HubTestRepos.Serve();
        using var __ = hub;
        using var cache = new TempDirectory();
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => HuggingFaceHub.Download(HubTestRepos.Options(hub, cache), "test-org/no-such-model"));
        StringAssert.Contains(e.Message, "Repository 'test-org/no-such-model' was not found");
        StringAssert.Contains(e.Message, "HF_TOKEN");
        Assert.IsFalse(Directory.Exists(Path.Combine(cache.Path, "models--test-org--no-such-model", "snapshots")));
    }

    [TestMethod]
    public void UnknownRevision_NamesTheRevision()
    {
        var (hub, _) = HubTestRepos.Serve();
        using var __ = hub;
        using var cache = new TempDirectory();
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => HuggingFaceHub.Download(HubTestRepos.Options(hub, cache), HubTestRepos.Id, revision: "no-such-branch"));
        StringAssert.Contains(e.Message, "Revision 'no-such-branch' was not found in 'test-org/tiny-bert'");
        StringAssert.Contains(e.Message, "branch, a tag or a full 40-digit commit hash");
    }

    [TestMethod]
    public void Unauthorized_NamesHfToken_AndATokenIsSentAsBearer()
    {
        var (hub, _) = HubTestRepos.Serve();
        using var __ = hub;
        hub.RequiredToken = "hf_secret";
        using var cache = new TempDirectory();

        var e = Assert.ThrowsExactly<InvalidOperationException>(() => HuggingFaceHub.Download(HubTestRepos.Options(hub, cache), HubTestRepos.Id));
        StringAssert.Contains(e.Message, "401");
        StringAssert.Contains(e.Message, "set HF_TOKEN");
        var wrong = Assert.ThrowsExactly<InvalidOperationException>(() => HuggingFaceHub.Download(HubTestRepos.Options(hub, cache, token: "hf_wrong"), HubTestRepos.Id));
        StringAssert.Contains(wrong.Message, "the token sent (from HF_TOKEN or $HF_HOME/token) was refused");

        while (hub.Authorizations.TryDequeue(out var _)) { }
        string snapshot = HuggingFaceHub.Download(HubTestRepos.Options(hub, cache, token: "hf_secret"), HubTestRepos.Id);
        Assert.IsTrue(File.Exists(Path.Combine(snapshot, "model.safetensors")));
        Assert.IsTrue(hub.Authorizations.All(a => a == "Bearer hf_secret"), string.Join(", ", hub.Authorizations));
    }

    [TestMethod]
    public void GatedRepo_SaysToAcceptItsConditions_AndNamesHfToken()
    {
        var (hub, _) = HubTestRepos.Serve();
        using var __ = hub;
        hub.Gated.Add(HubTestRepos.Id);
        using var cache = new TempDirectory();
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => HuggingFaceHub.Download(HubTestRepos.Options(hub, cache), HubTestRepos.Id));
        StringAssert.Contains(e.Message, "'test-org/tiny-bert' is a gated repository (403)");
        StringAssert.Contains(e.Message, $"accept its conditions at {hub.Endpoint}/test-org/tiny-bert");
        StringAssert.Contains(e.Message, "HF_TOKEN");
    }

    [TestMethod]
    public void MissingFiles_ListWhatTheRepoHas()
    {
        var (hub, _) = HubTestRepos.Serve(files =>
        {
            files.Remove("config.json");
        });
        using var __ = hub;
        using var cache = new TempDirectory();

        var noConfig = Assert.ThrowsExactly<InvalidOperationException>(() => HuggingFaceHub.Download(HubTestRepos.Options(hub, cache), HubTestRepos.Id));
        StringAssert.Contains(noConfig.Message, "has no config.json");
        StringAssert.Contains(noConfig.Message, "It has: README.md, model.safetensors, pytorch_model.bin, tokenizer_config.json, vocab.txt");
        var explicitFile = Assert.ThrowsExactly<InvalidOperationException>(() => HuggingFaceHub.Download(HubTestRepos.Options(hub, cache), HubTestRepos.Id, files: ["merges.txt"]));
        StringAssert.Contains(explicitFile.Message, "has no merges.txt");
        StringAssert.Contains(explicitFile.Message, "vocab.txt");
    }

    [TestMethod]
    public void PickleOnlyRepo_IsRefused_SayingHowToConvert()
    {
        var (hub, _) = HubTestRepos.Serve(files =>
        {
            files.Remove("model.safetensors");
        });
        using var __ = hub;
        using var cache = new TempDirectory();

        var e = Assert.ThrowsExactly<InvalidOperationException>(() => HuggingFaceHub.Download(HubTestRepos.Options(hub, cache), HubTestRepos.Id));

        StringAssert.Contains(e.Message, "only as pytorch_model.bin (a pickle)");
        StringAssert.Contains(e.Message, "save_pretrained(\"folder\", safe_serialization=True)");
        StringAssert.Contains(e.Message, "refs/pr/N");
        Assert.AreEqual(0, hub.Count("GET /blobs/"), "nothing was downloaded");
    }

    [TestMethod]
    public void HubUnreachable_WithNothingCached_SaysSo()
    {
        string endpoint;
        using (var hub = new FakeHub()) endpoint = hub.Endpoint;   // a port that no longer answers
        using var cache = new TempDirectory();
        var e = Assert.ThrowsExactly<InvalidOperationException>(() =>
            HuggingFaceHub.Download(new HubOptions { Endpoint = endpoint, CacheDirectory = cache.Path }, HubTestRepos.Id));
        StringAssert.Contains(e.Message, "could not be reached");
        StringAssert.Contains(e.Message, "is not in the cache");
    }

    [TestMethod]
    public void MalformedArguments_AreArgumentExceptions()
    {
        var options = new HubOptions { Endpoint = "http://127.0.0.1:9", CacheDirectory = Path.GetTempPath() };
        Assert.ThrowsExactly<ArgumentException>(() => HuggingFaceHub.Download(options, "not-namespaced"));
        Assert.ThrowsExactly<ArgumentException>(() => HuggingFaceHub.Download(options, "a/b/c"));
        Assert.ThrowsExactly<ArgumentException>(() => HuggingFaceHub.Download(options, "org/name", revision: "two words"));
        Assert.ThrowsExactly<ArgumentException>(() => HuggingFaceHub.Download(options, "org/name", files: ["../escape.txt"]));
    }
}
