using System.Text.Json.Nodes;
using MLNet.Transformers.Checkpoints;
using MLNet.Transformers.Models.T5;
using MLNet.Transformers.Tests.Checkpoints;
using static TorchSharp.torch;

namespace MLNet.Transformers.Tests.Models.T5;

/// <summary>Key layout, strict loading, the layouts real checkpoints come in, and saving back in HF layout.</summary>
[TestClass]
public sealed class T5CheckpointTests
{
    [TestMethod]
    public void StateDictKeys_AreExactlyTheHuggingFaceKeys()
    {
        using var model = new T5ForConditionalGeneration(T5Checkpoint.ReadConfig(T5Fixture.Directory));
        var raw = CheckpointLoader.LoadStateDict(T5Fixture.Directory);
        CollectionAssert.AreEquivalent(raw.Keys.ToList(), model.state_dict().Keys.ToList());
        Assert.IsTrue(raw.ContainsKey("encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"));
        Assert.IsFalse(raw.ContainsKey("encoder.block.1.layer.0.SelfAttention.relative_attention_bias.weight"), "only block 0 owns the table");
        Dispose(raw);
    }

    [TestMethod]
    public void SaveThenLoad_IsBitIdenticalAndInHuggingFaceLayout()
    {
        using var dir = new TempDirectory();
        using (var model = T5Checkpoint.Load(T5Fixture.Directory)) T5Checkpoint.Save(model, dir.Path);
        var original = CheckpointLoader.LoadStateDict(T5Fixture.Directory);
        var saved = CheckpointLoader.LoadStateDict(dir.Path);
        CollectionAssert.AreEquivalent(original.Keys.ToList(), saved.Keys.ToList());
        foreach (var (key, tensor) in original)
            Assert.IsTrue(Identical(tensor, saved[key]), $"{key} differs after save");
        var config = T5Checkpoint.ReadConfig(dir.Path);
        Assert.AreEqual(T5Checkpoint.ReadConfig(T5Fixture.Directory) with { Architectures = null, NumDecoderLayers = 2 }, config with { Architectures = null });
        CollectionAssert.AreEqual(new[] { "T5ForConditionalGeneration" }, config.Architectures);
        Dispose(original); Dispose(saved);
    }

    [TestMethod]
    public void StoredEmbeddingAliases_AreAcceptedAndGiveTheSameOutputs()
    {
        using var dir = CopyFixture(raw =>
        {
            raw["encoder.embed_tokens.weight"] = raw["shared.weight"].clone();
            raw["decoder.embed_tokens.weight"] = raw["shared.weight"].clone();
            raw["lm_head.weight"] = raw["shared.weight"].clone();  // some exports store the tied head too
        });
        AssertMatchesFixture(dir.Path, T5Fixture.Tolerance);
    }

    [TestMethod]
    public void OnlyAnEmbeddingAlias_StandsInForShared()
    {
        using var dir = CopyFixture(raw =>
        {
            raw["encoder.embed_tokens.weight"] = raw["shared.weight"];
            raw.Remove("shared.weight");
        });
        AssertMatchesFixture(dir.Path, T5Fixture.Tolerance);
    }

    [TestMethod]
    [DataRow(ScalarType.Float16)]
    [DataRow(ScalarType.BFloat16)]
    public void HalfPrecisionStorage_IsWidenedExactly(ScalarType storage)
    {
        using var dir = CopyFixture(raw =>
        {
            foreach (var key in raw.Keys.ToList()) raw[key] = raw[key].to(storage);
        });
        using var model = T5Checkpoint.Load(dir.Path);
        using var scope = NewDisposeScope();
        var stored = CheckpointLoader.LoadStateDict(dir.Path);
        var loaded = model.state_dict();
        foreach (var (key, tensor) in stored)
        {
            Assert.AreEqual(ScalarType.Float32, loaded[key].dtype);
            Assert.IsTrue(loaded[key].eq(tensor.to(ScalarType.Float32)).all().item<bool>(), $"{key} not widened exactly");
        }
        // Rounded weights still give outputs near the fp32 reference.
        AssertMatchesFixture(dir.Path, storage == ScalarType.Float16 ? 0.05 : 0.3);
    }

    [TestMethod]
    public void GatedUntiedModel_HasItsKeysAndRoundTrips()
    {
        var config = new T5Config { VocabSize = 128, DModel = 16, DKv = 4, DFf = 32, NumLayers = 2, NumDecoderLayers = 1, NumHeads = 4,
            FeedForwardProj = "gated-gelu", TieWordEmbeddings = false, DropoutRate = 0 };
        manual_seed(3);
        using var model = new T5ForConditionalGeneration(config);
        T5Initializer.Initialize(model);
        var keys = model.state_dict().Keys.ToList();
        CollectionAssert.Contains(keys, "lm_head.weight");
        CollectionAssert.Contains(keys, "encoder.block.1.layer.1.DenseReluDense.wi_0.weight");
        CollectionAssert.Contains(keys, "decoder.block.0.layer.2.DenseReluDense.wi_1.weight");
        CollectionAssert.DoesNotContain(keys, "decoder.block.0.layer.2.DenseReluDense.wi.weight");
        Assert.IsFalse(keys.Any(k => k.StartsWith("decoder.block.1.", StringComparison.Ordinal)), "num_decoder_layers = 1");

        using var dir = new TempDirectory();
        T5Checkpoint.Save(model, dir.Path);
        using var reloaded = T5Checkpoint.Load(dir.Path);
        model.eval(); reloaded.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (ids, mask, decoderIds) = SmallBatch();
        Assert.IsTrue(Identical(model.forward(ids, mask, decoderIds), reloaded.forward(ids, mask, decoderIds)));
    }

    [TestMethod]
    public void TiedHead_EqualsAnUntiedHeadHoldingTheScaledTable()
    {
        // Tied: logits = (h · d^-0.5) Eᵀ. An untied model whose lm_head is E · d^-0.5 (and no rescaling) must agree.
        using var dir = CopyFixture(raw => raw["lm_head.weight"] = raw["shared.weight"] * Math.Pow(32, -0.5));
        var configPath = Path.Combine(dir.Path, "config.json");
        var json = JsonNode.Parse(File.ReadAllText(configPath))!;
        json["tie_word_embeddings"] = false;
        File.WriteAllText(configPath, json.ToJsonString());
        AssertMatchesFixture(dir.Path, T5Fixture.Tolerance);
    }

    [TestMethod]
    public void MissingOrUnexpectedKeys_AreNamedInTheError()
    {
        using var dir = CopyFixture(raw =>
        {
            raw.Remove("decoder.block.1.layer.1.EncDecAttention.k.weight");
            raw["decoder.block.1.layer.0.SelfAttention.relative_attention_bias.weight"] = zeros(32, 4);
        });
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => T5Checkpoint.Load(dir.Path));
        StringAssert.Contains(e.Message, "decoder.block.1.layer.1.EncDecAttention.k.weight");
        StringAssert.Contains(e.Message, "decoder.block.1.layer.0.SelfAttention.relative_attention_bias.weight");
    }

    [TestMethod]
    public void Config_ValidateNamesTheBadField()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => new T5Config { FeedForwardProj = "gated-swish" }.Validate());
        StringAssert.Contains(e.Message, "feed_forward_proj");
        e = Assert.ThrowsExactly<ArgumentException>(() => new T5Config { RelativeAttentionMaxDistance = 8 }.Validate());
        StringAssert.Contains(e.Message, "relative_attention_max_distance");
        Assert.AreEqual("gelu_new", new T5Config { FeedForwardProj = "gated-gelu" }.FeedForwardActivation);
    }

    private static void AssertMatchesFixture(string directory, double tolerance)
    {
        var expected = T5Fixture.Load();
        using var model = T5Checkpoint.Load(directory);
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        T5Fixture.AssertClose(expected.EncoderLastHiddenState, model.Encode(expected.InputIds, expected.AttentionMask), "encoder", tolerance);
        var logits = model.forward(expected.InputIds, expected.AttentionMask, expected.DecoderInputIds);
        T5Fixture.AssertClose(expected.Logits[0][0], logits[0, expected.LogitPositions[0][0]], "logits", tolerance);
    }

    private static TempDirectory CopyFixture(Action<Dictionary<string, Tensor>> edit)
    {
        var dir = new TempDirectory();
        File.Copy(Path.Combine(T5Fixture.Directory, "config.json"), dir.File("config.json"));
        var raw = CheckpointLoader.LoadStateDict(T5Fixture.Directory);
        edit(raw);
        CheckpointLoader.SaveStateDict(dir.Path, raw);
        Dispose(raw);
        return dir;
    }

    private static (Tensor Ids, Tensor Mask, Tensor DecoderIds) SmallBatch() => (
        tensor(new long[] { 5, 9, 17, 1, 21, 3, 1, 0 }).reshape(2, 4),
        tensor(new long[] { 1, 1, 1, 1, 1, 1, 1, 0 }).reshape(2, 4),
        tensor(new long[] { 0, 7, 8, 0, 11, 0 }).reshape(2, 3));

    private static bool Identical(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.dtype == b.dtype && a.eq(b).all().item<bool>();

    private static void Dispose(Dictionary<string, Tensor> tensors)
    {
        foreach (var t in tensors.Values) t.Dispose();
    }
}
