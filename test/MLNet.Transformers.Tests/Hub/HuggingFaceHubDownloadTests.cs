using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transformers.Tests.Checkpoints;
using MLNet.Transformers.Transforms;

namespace MLNet.Transformers.Tests.Hub;

/// <summary>HuggingFaceHub.Download against a loopback Hub: the cache layout, revisions, caching, resuming, checking and locking.</summary>
[TestClass]
public sealed class HuggingFaceHubDownloadTests
{
    private static string RepoFolder(TempDirectory cache) => Path.Combine(cache.Path, "models--test-org--tiny-bert");

    [TestMethod]
    public void Download_WritesTheHubCacheLayout_BlobsByEtag_RelativeSymlinks_AndRefs()
    {
        var (hub, main) = HubTestRepos.Serve();
        using var _ = hub;
        using var cache = new TempDirectory();
        var files = HubTestRepos.TinyBert();

        string snapshot = HuggingFaceHub.Download(HubTestRepos.Options(hub, cache), HubTestRepos.Id);

        string repo = RepoFolder(cache);
        Assert.AreEqual(Path.Combine(repo, "snapshots", main.Sha), snapshot);
        Assert.AreEqual(main.Sha, File.ReadAllText(Path.Combine(repo, "refs", "main")));
        CollectionAssert.AreEquivalent(new[] { "config.json", "model.safetensors", "tokenizer_config.json", "vocab.txt" },
            Directory.GetFiles(snapshot).Select(Path.GetFileName).ToArray(), "README.md and pytorch_model.bin are not fetched");
        // LFS files are named by their sha256 (X-Linked-Etag), git files by their blob sha1 (ETag).
        string weightsBlob = FakeHub.Sha256(files["model.safetensors"]), configBlob = FakeHub.GitSha1(files["config.json"]);
        CollectionAssert.AreEquivalent(new[] { weightsBlob, configBlob, FakeHub.GitSha1(files["vocab.txt"]), FakeHub.GitSha1(files["tokenizer_config.json"]) },
            Directory.GetFiles(Path.Combine(repo, "blobs")).Select(Path.GetFileName).ToArray());
        var link = new FileInfo(Path.Combine(snapshot, "model.safetensors"));
        Assert.AreEqual($"../../blobs/{weightsBlob}", link.LinkTarget, "a relative symlink, as huggingface_hub makes");
        CollectionAssert.AreEqual(files["model.safetensors"], File.ReadAllBytes(link.FullName));
        Assert.IsTrue(File.Exists(Path.Combine(cache.Path, ".locks", "models--test-org--tiny-bert", weightsBlob + ".lock")));
        Assert.AreEqual(0, hub.Count("GET /test-org/tiny-bert/resolve/main/"), "files are fetched at the commit, not at the branch");
    }

    [TestMethod]
    public void Download_ASecondTimeFetchesNothing_AndWithTheHubDown_ResolvesFromTheCache()
    {
        var (hub, main) = HubTestRepos.Serve();
        using var cache = new TempDirectory();
        string first = HuggingFaceHub.Download(HubTestRepos.Options(hub, cache), HubTestRepos.Id);
        int before = hub.Requests.Count;

        string second = HuggingFaceHub.Download(HubTestRepos.Options(hub, cache), HubTestRepos.Id);

        Assert.AreEqual(first, second);
        var after = hub.Requests.Skip(before).ToList();
        CollectionAssert.AreEqual(new[] { "GET /api/models/test-org/tiny-bert/revision/main" }, after, "only the revision is asked again");
        string endpoint = hub.Endpoint;
        hub.Dispose();
        Assert.AreEqual(first, HuggingFaceHub.Download(HubTestRepos.Options(hub, cache) with { Endpoint = endpoint }, HubTestRepos.Id));
    }

    [TestMethod]
    public void Offline_ResolvesTheBranchThroughRefs_WithoutARequest_AndWithoutACacheSaysSo()
    {
        var (hub, main) = HubTestRepos.Serve();
        using var _ = hub;
        using var cache = new TempDirectory();
        using var empty = new TempDirectory();
        string online = HuggingFaceHub.Download(HubTestRepos.Options(hub, cache), HubTestRepos.Id);
        int before = hub.Requests.Count;

        Assert.AreEqual(online, HuggingFaceHub.Download(HubTestRepos.Options(hub, cache) with { Offline = true }, HubTestRepos.Id));
        Assert.AreEqual(online, HuggingFaceHub.Download(HubTestRepos.Options(hub, cache) with { Offline = true }, HubTestRepos.Id, revision: main.Sha));
        Assert.AreEqual(before, hub.Requests.Count, "offline never touches the network");

        var e = Assert.ThrowsExactly<InvalidOperationException>(() => HuggingFaceHub.Download(HubTestRepos.Options(hub, empty) with { Offline = true }, HubTestRepos.Id));
        StringAssert.Contains(e.Message, "HF_HUB_OFFLINE");
        StringAssert.Contains(e.Message, "refs/main");
        var tag = Assert.ThrowsExactly<InvalidOperationException>(() => HuggingFaceHub.Download(HubTestRepos.Options(hub, cache) with { Offline = true }, HubTestRepos.Id, revision: "v2"));
        StringAssert.Contains(tag.Message, "'v2'");
    }

    [TestMethod]
    public void Revision_AsBranchTagOrCommit_GetsItsOwnSnapshot_AndBranchesAndTagsGetRefs()
    {
        using var hub = new FakeHub();
        var repo = hub.AddRepo(HubTestRepos.Id);
        var v1Files = HubTestRepos.TinyBert();
        var v1 = repo.Commit(v1Files, "v1.0");
        var mainFiles = HubTestRepos.TinyBert();
        mainFiles["config.json"] = [.. mainFiles["config.json"], (byte)'\n'];
        var main = repo.Commit(mainFiles, "main");
        using var cache = new TempDirectory();

        string atMain = HuggingFaceHub.Download(HubTestRepos.Options(hub, cache), HubTestRepos.Id);
        string atTag = HuggingFaceHub.Download(HubTestRepos.Options(hub, cache), HubTestRepos.Id, revision: "v1.0");
        string atCommit = HuggingFaceHub.Download(HubTestRepos.Options(hub, cache), HubTestRepos.Id, revision: v1.Sha);

        Assert.AreEqual(main.Sha, Path.GetFileName(atMain));
        Assert.AreEqual(v1.Sha, Path.GetFileName(atTag));
        Assert.AreEqual(atTag, atCommit);
        CollectionAssert.AreEqual(mainFiles["config.json"], File.ReadAllBytes(Path.Combine(atMain, "config.json")));
        CollectionAssert.AreEqual(v1Files["config.json"], File.ReadAllBytes(Path.Combine(atTag, "config.json")));
        Assert.AreEqual(v1.Sha, File.ReadAllText(Path.Combine(RepoFolder(cache), "refs", "v1.0")));
        Assert.IsFalse(File.Exists(Path.Combine(RepoFolder(cache), "refs", v1.Sha)), "a commit hash needs no ref");
        Assert.AreEqual(1, Directory.GetFiles(Path.Combine(RepoFolder(cache), "blobs")).Count(f => f.EndsWith(FakeHub.Sha256(v1Files["model.safetensors"]))),
            "both snapshots link the one weights blob");
    }

    [TestMethod]
    public void ARenamedRepo_IsFollowedThroughTheHubsRelativeRedirect_AndCachedUnderTheIdAskedFor()
    {
        var (hub, main) = HubTestRepos.Serve();
        using var __ = hub;
        hub.Renamed["old-org/tiny-bert"] = HubTestRepos.Id;
        using var cache = new TempDirectory();

        string snapshot = HuggingFaceHub.Download(HubTestRepos.Options(hub, cache), "old-org/tiny-bert");

        Assert.AreEqual(Path.Combine(cache.Path, "models--old-org--tiny-bert", "snapshots", main.Sha), snapshot, "as huggingface_hub, the folder is named by the id asked for");
        CollectionAssert.AreEqual(HubTestRepos.TinyBert()["model.safetensors"], File.ReadAllBytes(Path.Combine(snapshot, "model.safetensors")));
        Assert.IsTrue(hub.Count("GET /api/models/old-org/tiny-bert/") == 1 && hub.Count("GET /api/models/test-org/tiny-bert/") == 1);
    }

    [TestMethod]
    public void Resume_AnIncompleteBlob_IsContinuedWithARangeRequest()
    {
        var (hub, _) = HubTestRepos.Serve();
        using var __ = hub;
        using var cache = new TempDirectory();
        var weights = HubTestRepos.TinyBert()["model.safetensors"];
        string sha = FakeHub.Sha256(weights);
        string blobs = Path.Combine(RepoFolder(cache), "blobs");
        Directory.CreateDirectory(blobs);
        int half = weights.Length / 2;
        File.WriteAllBytes(Path.Combine(blobs, sha + ".incomplete"), weights[..half]);
        var reports = new List<DownloadProgress>();

        string snapshot = HuggingFaceHub.Download(HubTestRepos.Options(hub, cache), HubTestRepos.Id, progress: new Recorder(reports));

        CollectionAssert.AreEqual(weights, File.ReadAllBytes(Path.Combine(snapshot, "model.safetensors")));
        Assert.AreEqual(1, hub.Count($"GET /blobs/{sha} range=bytes={half}-"), string.Join("\n", hub.Requests));
        Assert.AreEqual(0, hub.Requests.Count(r => r == $"GET /blobs/{sha}"), "not fetched from the start");
        Assert.IsFalse(File.Exists(Path.Combine(blobs, sha + ".incomplete")));
        var weightReports = reports.Where(r => r.File == "model.safetensors").ToList();
        Assert.AreEqual(new DownloadProgress("model.safetensors", half, weights.Length), weightReports[0]);
        Assert.AreEqual(new DownloadProgress("model.safetensors", weights.Length, weights.Length), weightReports[^1]);
    }

    [TestMethod]
    public void AnInterruptedDownload_KeepsWhatArrived_AndTheNextCallResumesIt()
    {
        var (hub, _) = HubTestRepos.Serve();
        using var __ = hub;
        using var cache = new TempDirectory();
        var weights = HubTestRepos.TinyBert()["model.safetensors"];
        string sha = FakeHub.Sha256(weights);
        hub.CutBlobsAfter = 1_000_000;

        var e = Assert.ThrowsExactly<InvalidOperationException>(() => HuggingFaceHub.Download(HubTestRepos.Options(hub, cache), HubTestRepos.Id));
        StringAssert.Contains(e.Message, "Downloading 'model.safetensors' was interrupted");
        StringAssert.Contains(e.Message, "Run again");
        long kept = new FileInfo(Path.Combine(RepoFolder(cache), "blobs", sha + ".incomplete")).Length;
        Assert.IsTrue(kept is > 0 and <= 1_000_000, $"kept {kept} bytes");

        hub.CutBlobsAfter = null;
        string snapshot = HuggingFaceHub.Download(HubTestRepos.Options(hub, cache), HubTestRepos.Id);

        CollectionAssert.AreEqual(weights, File.ReadAllBytes(Path.Combine(snapshot, "model.safetensors")));
        Assert.AreEqual(1, hub.Count($"GET /blobs/{sha} range=bytes={kept}-"), string.Join("\n", hub.Requests));
    }

    [TestMethod]
    public void Sha256Mismatch_Throws_AndKeepsNoBlob()
    {
        var (hub, _) = HubTestRepos.Serve();
        using var __ = hub;
        hub.CorruptBlobs = true;
        using var cache = new TempDirectory();

        var e = Assert.ThrowsExactly<InvalidOperationException>(() => HuggingFaceHub.Download(HubTestRepos.Options(hub, cache), HubTestRepos.Id));

        string sha = FakeHub.Sha256(HubTestRepos.TinyBert()["model.safetensors"]);
        StringAssert.Contains(e.Message, "sha256");
        StringAssert.Contains(e.Message, sha);
        StringAssert.Contains(e.Message, "model.safetensors");
        var blobs = Path.Combine(RepoFolder(cache), "blobs");
        Assert.IsFalse(File.Exists(Path.Combine(blobs, sha)));
        Assert.IsFalse(File.Exists(Path.Combine(blobs, sha + ".incomplete")));
        hub.CorruptBlobs = false;
        Assert.IsTrue(File.Exists(Path.Combine(HuggingFaceHub.Download(HubTestRepos.Options(hub, cache), HubTestRepos.Id), "model.safetensors")), "the next run downloads it afresh");
    }

    [TestMethod]
    public void ShardedCheckpoint_FetchesTheIndexAndEveryShardItNames()
    {
        var (hub, _) = HubTestRepos.Serve(files =>
        {
            files.Remove("model.safetensors");
            files["model.safetensors.index.json"] = HubTestRepos.Text("""{"metadata":{},"weight_map":{"a.weight":"model-00001-of-00002.safetensors","b.weight":"model-00002-of-00002.safetensors","c.weight":"model-00001-of-00002.safetensors"}}""");
            files["model-00001-of-00002.safetensors"] = HubTestRepos.Text("shard one");
            files["model-00002-of-00002.safetensors"] = HubTestRepos.Text("shard two");
            files["model-00003-of-00003.safetensors"] = HubTestRepos.Text("an old shard the index does not name");
        });
        using var __ = hub;
        using var cache = new TempDirectory();

        string snapshot = HuggingFaceHub.Download(HubTestRepos.Options(hub, cache), HubTestRepos.Id);

        CollectionAssert.AreEquivalent(new[] { "config.json", "model.safetensors.index.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", "tokenizer_config.json", "vocab.txt" },
            Directory.GetFiles(snapshot).Select(Path.GetFileName).ToArray());
        Assert.AreEqual("shard two", File.ReadAllText(Path.Combine(snapshot, "model-00002-of-00002.safetensors")));
    }

    private static readonly byte[] PoolingConfig = HubTestRepos.Text("""{"word_embedding_dimension": 32, "pooling_mode_mean_tokens": true}""");

    [TestMethod]
    public void SentenceTransformersRepo_FetchesModulesJson_SentenceBertConfig_AndThePoolingConfig_ThatTheEmbeddingFollows()
    {
        var (hub, _) = HubTestRepos.Serve(files =>
        {
            files["modules.json"] = HubTestRepos.Text("""[{"idx":0,"name":"0","path":"","type":"sentence_transformers.models.Transformer"},{"idx":1,"name":"1","path":"1_Pooling","type":"sentence_transformers.models.Pooling"},{"idx":2,"name":"2","path":"2_Normalize","type":"sentence_transformers.models.Normalize"}]""");
            files["sentence_bert_config.json"] = HubTestRepos.Text("""{"max_seq_length": 32, "do_lower_case": false}""");
            files["1_Pooling/config.json"] = PoolingConfig;
            files["onnx/model.onnx"] = HubTestRepos.Text("not fetched");
            files["config_sentence_transformers.json"] = HubTestRepos.Text("{}");
        });
        using var __ = hub;
        using var cache = new TempDirectory();

        string snapshot = HuggingFaceHub.Download(HubTestRepos.Options(hub, cache), HubTestRepos.Id);

        Assert.IsTrue(File.Exists(Path.Combine(snapshot, "modules.json")));
        Assert.IsTrue(File.Exists(Path.Combine(snapshot, "sentence_bert_config.json")));
        var pooling = new FileInfo(Path.Combine(snapshot, "1_Pooling", "config.json"));
        Assert.AreEqual($"../../../blobs/{FakeHub.GitSha1(PoolingConfig)}", pooling.LinkTarget);
        Assert.IsFalse(Directory.Exists(Path.Combine(snapshot, "onnx")));
        // The snapshot is a sentence-transformers folder: mean pooling, then the Normalize module's unit length.
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new { Text = "hello, world!" } });
        using var embedding = ml.Transforms.Text.TransformerEmbedding(snapshot, "E", "Text").Fit(data);
        Assert.AreEqual(EmbeddingPooling.Mean, embedding.Settings.Pooling);
        var vector = embedding.Transform(data).GetColumn<VBuffer<float>>("E").Single().DenseValues().ToArray();
        Assert.AreEqual(1.0, Math.Sqrt(vector.Sum(v => (double)v * v)), 1e-5);
    }

    [TestMethod]
    public void ExplicitFiles_FetchExactlyThose()
    {
        var (hub, _) = HubTestRepos.Serve();
        using var __ = hub;
        using var cache = new TempDirectory();

        string snapshot = HuggingFaceHub.Download(HubTestRepos.Options(hub, cache), HubTestRepos.Id, files: ["README.md"]);

        CollectionAssert.AreEqual(new[] { "README.md" }, Directory.GetFiles(snapshot).Select(Path.GetFileName).ToArray());
    }

    [TestMethod]
    public void TwoConcurrentDownloads_OfOneRepo_FetchTheBlobOnce_AndBothGetTheWholeFile()
    {
        var (hub, _) = HubTestRepos.Serve();
        using var __ = hub;
        hub.HoldBlobUntilHeads = 2;   // the first download's GET waits until the second has asked for the file too
        using var cache = new TempDirectory();
        var weights = HubTestRepos.TinyBert()["model.safetensors"];

        var downloads = Enumerable.Range(0, 2).Select(_ => Task.Run(() => HuggingFaceHub.Download(HubTestRepos.Options(hub, cache), HubTestRepos.Id))).ToArray();
        Task.WaitAll(downloads);

        Assert.AreEqual(downloads[0].Result, downloads[1].Result);
        CollectionAssert.AreEqual(weights, File.ReadAllBytes(Path.Combine(downloads[0].Result, "model.safetensors")));
        Assert.AreEqual(1, hub.Count($"GET /blobs/{FakeHub.Sha256(weights)}"), "the second waited on the lock and found the blob");
        Assert.AreEqual(0, Directory.GetFiles(Path.Combine(RepoFolder(cache), "blobs"), "*.incomplete").Length);
        Assert.AreEqual(0, Directory.GetFiles(Path.Combine(RepoFolder(cache), "snapshots"), "*.tmp", SearchOption.AllDirectories).Length);
    }

    [TestMethod]
    public void ADownloadInAnotherProcess_AtTheSameTime_SharesTheCacheWithoutCorruptingIt()
    {
        var (hub, _) = HubTestRepos.Serve();
        using var __ = hub;
        hub.HoldBlobUntilHeads = 2;   // no blob bytes flow until both processes have asked for the weights
        using var cache = new TempDirectory();
        var weights = HubTestRepos.TinyBert()["model.safetensors"];

        var other = Task.Run(() => Persistence.FreshProcessRunner.Run("--hub-download", hub.Endpoint, cache.Path, HubTestRepos.Id));
        string here = HuggingFaceHub.Download(HubTestRepos.Options(hub, cache), HubTestRepos.Id);

        CollectionAssert.AreEqual(new[] { here }, other.Result);
        CollectionAssert.AreEqual(weights, File.ReadAllBytes(Path.Combine(here, "model.safetensors")));
        Assert.AreEqual(1, hub.Count($"GET /blobs/{FakeHub.Sha256(weights)}"), "one process waited on the other's lock file and found the blob");
        Assert.AreEqual(0, Directory.GetFiles(Path.Combine(RepoFolder(cache), "blobs"), "*.incomplete").Length);
    }

    private sealed class Recorder(List<DownloadProgress> reports) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value) { lock (reports) reports.Add(value); }
    }
}
