using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transformers.Estimators;
using MLNet.Transformers.Tests.Checkpoints;
using MLNet.Transformers.Tests.Models;

namespace MLNet.Transformers.Tests.Hub;

/// <summary>
/// Hub ids where a checkpoint folder is accepted: estimators download at construction through HF_ENDPOINT into HF_HUB_CACHE,
/// load a cache Python's huggingface_hub wrote, and say clearly what a string that is neither folder, .onnx nor id is.
/// </summary>
[TestClass]
public sealed class HubCheckpointIdTests
{
    private sealed class Row
    {
        public string Text { get; set; } = "";
    }

    private static readonly Row[] Rows = [new() { Text = "hello, world!" }, new() { Text = "a gripping, funny and moving film." }];

    private static float[][] Embed(MLContext ml, string checkpoint)
    {
        var data = ml.Data.LoadFromEnumerable(Rows);
        using var transformer = ml.Transforms.Text.TransformerEmbedding(checkpoint, "E", "Text").Fit(data);
        return transformer.Transform(data).GetColumn<VBuffer<float>>("E").Select(v => v.DenseValues().ToArray()).ToArray();
    }

    [TestMethod]
    public void TransformerEmbedding_FromAHubIdWithRevision_DownloadsAtConstruction_LogsIt_AndEqualsTheFolder()
    {
        using var hub = new HubTestEnvironment();
        var ml = new MLContext(seed: 1);
        var log = new List<string>();
        ml.Log += (_, e) => { lock (log) log.Add(e.Message); };

        var estimator = ml.Transforms.Text.TransformerEmbedding($"{HubTestRepos.Id}@main", "E", "Text");
        Assert.IsTrue(File.Exists(Path.Combine(hub.Snapshot(hub.Main.Sha), "model.safetensors")), "resolved when created, as from_pretrained");
        int requests = hub.Hub.Requests.Count;
        var data = ml.Data.LoadFromEnumerable(Rows);
        using var transformer = estimator.Fit(data);
        Assert.AreEqual(requests, hub.Hub.Requests.Count, "Fit reads the resolved folder");
        var fromHub = transformer.Transform(data).GetColumn<VBuffer<float>>("E").Select(v => v.DenseValues().ToArray()).ToArray();

        var fromFolder = Embed(new MLContext(seed: 1), BertParityTests.FixtureDirectory);
        for (int i = 0; i < Rows.Length; i++) CollectionAssert.AreEqual(fromFolder[i], fromHub[i]);
        Assert.IsTrue(log.Any(m => m.Contains("Downloading test-org/tiny-bert/model.safetensors", StringComparison.Ordinal)), string.Join("\n", log.Take(20)));
    }

    [TestMethod]
    public void TextClassification_TrainsOneStep_FromAHubId()
    {
        using var hub = new HubTestEnvironment();
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new { Sentence1 = "good", Label = "pos" }, new { Sentence1 = "bad", Label = "neg" } });
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.TextClassification(new TextClassificationOptions
            {
                CheckpointDirectory = HubTestRepos.Id, MaxEpochs = 1, BatchSize = 2, MaxSequenceLength = 16,
            }));
        var model = pipeline.Fit(data);
        var scores = model.Transform(data).GetColumn<VBuffer<float>>("Score").ToArray();
        Assert.AreEqual(2, scores.Length);
        Assert.AreEqual(2, scores[0].Length);
        (model as IDisposable)?.Dispose();
    }

    [TestMethod]
    public void ACacheWrittenByPythonsHuggingfaceHub_LoadsOffline()
    {
        // The layout huggingface_hub writes: blobs named by sha256 (LFS) or git sha1, relative symlinks, refs/main.
        using var cache = new TempDirectory();
        string commit = new('a', 40);
        string repo = Path.Combine(cache.Path, "models--test-org--tiny-bert");
        Directory.CreateDirectory(Path.Combine(repo, "blobs"));
        Directory.CreateDirectory(Path.Combine(repo, "snapshots", commit));
        Directory.CreateDirectory(Path.Combine(repo, "refs"));
        File.WriteAllText(Path.Combine(repo, "refs", "main"), commit);
        foreach (var (name, bytes) in HubTestRepos.TinyBert().Where(f => f.Key is not ("README.md" or "pytorch_model.bin")))
        {
            string blob = FakeHub.IsLfs(name) ? FakeHub.Sha256(bytes) : FakeHub.GitSha1(bytes);
            File.WriteAllBytes(Path.Combine(repo, "blobs", blob), bytes);
            File.CreateSymbolicLink(Path.Combine(repo, "snapshots", commit, name), $"../../blobs/{blob}");
        }
        using var home = new TempDirectory();
        using var env = new EnvironmentScope(("HF_HUB_CACHE", cache.Path), ("HF_HOME", home.Path), ("HF_HUB_OFFLINE", "1"), ("HF_ENDPOINT", "http://127.0.0.1:9"));

        var fromCache = Embed(new MLContext(seed: 1), HubTestRepos.Id);

        var fromFolder = Embed(new MLContext(seed: 1), BertParityTests.FixtureDirectory);
        for (int i = 0; i < Rows.Length; i++) CollectionAssert.AreEqual(fromFolder[i], fromCache[i]);
        Assert.AreEqual(Path.Combine(repo, "snapshots", commit), HuggingFaceHub.Download(HubTestRepos.Id, revision: commit), "a commit hash finds its snapshot folder");
    }

    [TestMethod]
    public void TokenizeForTransformer_FromAHubId_FetchesOnlyTheTokenizerFiles()
    {
        using var hub = new HubTestEnvironment();

        new MLContext(seed: 1).Transforms.Text.TokenizeForTransformer(HubTestRepos.Id, "Text");

        var snapshot = hub.Snapshot(hub.Main.Sha);
        CollectionAssert.AreEquivalent(new[] { "config.json", "tokenizer_config.json", "vocab.txt" }, Directory.GetFiles(snapshot).Select(Path.GetFileName).ToArray());
    }

    [TestMethod]
    public void ACheckpointThatIsNeitherFolderOnnxNorHubId_NamesTheOption()
    {
        using var home = new TempDirectory();
        using var env = new EnvironmentScope(("HF_HOME", home.Path), ("HF_ENDPOINT", "http://127.0.0.1:9"));
        var ml = new MLContext(seed: 1);

        var e = Assert.ThrowsExactly<ArgumentException>(() => ml.MulticlassClassification.Trainers.TextClassification(new TextClassificationOptions { CheckpointDirectory = "/no/such/folder" }));
        StringAssert.Contains(e.Message, "CheckpointDirectory '/no/such/folder' is neither an existing folder, an existing .onnx file nor a Hugging Face Hub id ('org/name' or 'org/name@revision')");
        var onnx = Assert.ThrowsExactly<ArgumentException>(() => ml.Transforms.Text.TransformerEmbedding("missing/model.onnx/x.onnx", "E", "Text"));
        StringAssert.Contains(onnx.Message, "checkpointDirectory 'missing/model.onnx/x.onnx' is neither");
        var tokenizer = Assert.ThrowsExactly<ArgumentException>(() => ml.Transforms.Text.PretrainCausalLanguageModel(new CausalLanguageModelOptions { TokenizerDirectory = "no such dir" }));
        StringAssert.Contains(tokenizer.Message, "TokenizerDirectory 'no such dir' is neither");
    }

    [TestMethod]
    public void AHubIdTheHubDoesNotHave_SaysItWasNotAFolderEither()
    {
        using var hub = new HubTestEnvironment();

        var e = Assert.ThrowsExactly<InvalidOperationException>(() => new MLContext(seed: 1).Transforms.Text.TransformerEmbedding("models/bert-base", "E", "Text"));

        StringAssert.Contains(e.Message, "checkpointDirectory 'models/bert-base' is not an existing folder, so it was taken as a Hugging Face Hub id");
        StringAssert.Contains(e.Message, "Repository 'models/bert-base' was not found");
    }
}
