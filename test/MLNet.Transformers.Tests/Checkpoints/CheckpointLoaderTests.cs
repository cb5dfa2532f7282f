using MLNet.Transformers.Checkpoints;
using TorchSharp;

namespace MLNet.Transformers.Tests.Checkpoints;

[TestClass]
public sealed class CheckpointLoaderTests
{
    private TempDirectory _dir = null!;

    [TestInitialize]
    public void CreateDirectory() => _dir = new TempDirectory();

    [TestCleanup]
    public void DeleteDirectory() => _dir.Dispose();

    private static void DisposeAll(Dictionary<string, torch.Tensor> tensors)
    {
        foreach (var t in tensors.Values)
            t.Dispose();
    }

    private void WriteShard(string file, params string[] names)
    {
        var tensors = names.ToDictionary(n => n, n => torch.full(2, (float)n.Length));
        SafeTensors.Save(_dir.File(file), tensors);
        DisposeAll(tensors);
    }

    private void WriteIndex(string weightMapJson) =>
        File.WriteAllText(_dir.File(CheckpointLoader.ShardIndexFileName), $$"""{"metadata":{"total_size":24},"weight_map":{{weightMapJson}}}""");

    private CheckpointFormatException LoadFails() =>
        Assert.ThrowsExactly<CheckpointFormatException>(() => CheckpointLoader.LoadStateDict(_dir.Path));

    [TestMethod]
    public void Checkpoint_SaveThenLoadRoundTripsWithPtFormatMetadata()
    {
        using var w = torch.randn(3, 4);
        using var b = torch.randn(4).to(torch.ScalarType.BFloat16);
        CheckpointLoader.SaveStateDict(_dir.Path, new Dictionary<string, torch.Tensor> { ["layer.weight"] = w, ["layer.bias"] = b });

        var loaded = CheckpointLoader.LoadStateDict(_dir.Path);
        CollectionAssert.AreEqual(w.bytes.ToArray(), loaded["layer.weight"].bytes.ToArray());
        CollectionAssert.AreEqual(b.bytes.ToArray(), loaded["layer.bias"].bytes.ToArray());
        Assert.AreEqual("pt", SafeTensors.ReadMetadata(_dir.File(CheckpointLoader.WeightsFileName))["format"]);
        DisposeAll(loaded);
    }

    [TestMethod]
    public void Checkpoint_LoadsTheBertFixtureDirectory()
    {
        var loaded = CheckpointLoader.LoadStateDict(Path.Combine(AppContext.BaseDirectory, "TestData", "bert-tiny-random"));
        Assert.AreEqual(46, loaded.Count);
        CollectionAssert.AreEqual(new long[] { 30522, 32 }, loaded["bert.embeddings.word_embeddings.weight"].shape);
        DisposeAll(loaded);
    }

    [TestMethod]
    public void Checkpoint_LoadsShardsListedByTheIndex()
    {
        WriteShard("model-00001-of-00002.safetensors", "a", "bb");
        WriteShard("model-00002-of-00002.safetensors", "ccc");
        WriteIndex("""{"a":"model-00001-of-00002.safetensors","bb":"model-00001-of-00002.safetensors","ccc":"model-00002-of-00002.safetensors"}""");

        var loaded = CheckpointLoader.LoadStateDict(_dir.Path);
        CollectionAssert.AreEquivalent(new[] { "a", "bb", "ccc" }, loaded.Keys.ToList());
        Assert.AreEqual(3f, loaded["ccc"][1].item<float>());
        DisposeAll(loaded);
    }

    [TestMethod]
    public void Checkpoint_RejectsMissingShard()
    {
        WriteShard("s1.safetensors", "a");
        WriteIndex("""{"a":"s1.safetensors","b":"s2.safetensors"}""");
        var e = LoadFails();
        StringAssert.Contains(e.Message, CheckpointLoader.ShardIndexFileName);
        StringAssert.Contains(e.Message, "shard 's2.safetensors' listed in weight_map does not exist");
    }

    [TestMethod]
    public void Checkpoint_RejectsIndexKeyMissingFromItsShard()
    {
        WriteShard("s1.safetensors", "a");
        WriteIndex("""{"a":"s1.safetensors","b":"s1.safetensors"}""");
        var e = LoadFails();
        StringAssert.Contains(e.Message, "s1.safetensors");
        StringAssert.Contains(e.Message, "tensor 'b' listed in");
        StringAssert.Contains(e.Message, "is missing from this shard");
    }

    [TestMethod]
    public void Checkpoint_RejectsTensorInTwoShards()
    {
        WriteShard("s1.safetensors", "a");
        WriteShard("s2.safetensors", "a", "b");
        WriteIndex("""{"a":"s1.safetensors","b":"s2.safetensors"}""");
        var e = LoadFails();
        StringAssert.Contains(e.Message, "s2.safetensors");
        StringAssert.Contains(e.Message, "tensor 'a' is also in shard 's1.safetensors'");
    }

    [TestMethod]
    public void Checkpoint_RejectsShardTensorNotInIndex()
    {
        WriteShard("s1.safetensors", "a", "stray");
        WriteIndex("""{"a":"s1.safetensors"}""");
        var e = LoadFails();
        StringAssert.Contains(e.Message, "s1.safetensors");
        StringAssert.Contains(e.Message, "tensor 'stray' is not listed in");
    }

    [TestMethod]
    public void Checkpoint_RejectsShardPathOutsideTheDirectory()
    {
        WriteIndex("""{"a":"../elsewhere.safetensors"}""");
        StringAssert.Contains(LoadFails().Message, "is not a plain file name");
    }

    [TestMethod]
    public void Checkpoint_RejectsIndexWithoutWeightMap()
    {
        File.WriteAllText(_dir.File(CheckpointLoader.ShardIndexFileName), """{"metadata":{}}""");
        var e = LoadFails();
        StringAssert.Contains(e.Message, CheckpointLoader.ShardIndexFileName);
        StringAssert.Contains(e.Message, "needs a 'weight_map' object");
    }

    [TestMethod]
    public void Checkpoint_RefusesPickleWeightsAndExplainsConversion()
    {
        File.WriteAllBytes(_dir.File("pytorch_model.bin"), [0x80, 0x02]);
        var e = LoadFails();
        Assert.AreEqual(_dir.Path, e.FilePath);
        StringAssert.Contains(e.Message, "pytorch_model.bin");
        StringAssert.Contains(e.Message, "arbitrary code");
        StringAssert.Contains(e.Message, "save_pretrained(dir, safe_serialization=True)");
        StringAssert.Contains(e.Message, "safetensors.torch.save_file");
    }

    [TestMethod]
    public void Checkpoint_ReportsWhatWasLookedForWhenNoWeights()
    {
        File.WriteAllText(_dir.File("config.json"), "{}");
        var e = LoadFails();
        StringAssert.Contains(e.Message, _dir.Path);
        StringAssert.Contains(e.Message, "model.safetensors and model.safetensors.index.json");
    }

    [TestMethod]
    public void Checkpoint_ReportsMissingDirectory()
    {
        string missing = _dir.File("nope");
        var e = Assert.ThrowsExactly<CheckpointFormatException>(() => CheckpointLoader.LoadStateDict(missing));
        Assert.AreEqual(missing, e.FilePath);
        StringAssert.Contains(e.Message, "directory not found");
    }
}
