using MLNet.Transformers.Checkpoints;
using MLNet.Transformers.Models.Gpt2;
using MLNet.Transformers.Tests.Checkpoints;
using static TorchSharp.torch;

namespace MLNet.Transformers.Tests.Models;

/// <summary>Strict GPT-2 loading with the real-world checkpoint variants, and save in HF layout.</summary>
[TestClass]
public sealed class Gpt2CheckpointTests
{
    [TestMethod]
    public void SaveThenLoad_IsBitIdentical_AndUsesHfKeys()
    {
        using var model = Gpt2Checkpoint.Load(Gpt2Fixture.Directory);
        using var dir = new TempDirectory();
        Gpt2Checkpoint.Save(model, dir.Path);
        using var loaded = Gpt2Checkpoint.Load(dir.Path);
        var a = model.state_dict(); var b = loaded.state_dict();
        CollectionAssert.AreEquivalent(a.Keys.ToList(), b.Keys.ToList());
        foreach (var key in a.Keys) Assert.IsTrue(a[key].eq(b[key]).all().item<bool>(), key);
        var saved = SafeTensors.Load(Path.Combine(dir.Path, "model.safetensors"));
        CollectionAssert.Contains(saved.Keys, "transformer.h.0.attn.c_attn.weight");
        CollectionAssert.DoesNotContain(saved.Keys, "lm_head.weight");           // tied: not stored, as HF
        CollectionAssert.AreEqual(new long[] { 32, 96 }, saved["transformer.h.0.attn.c_attn.weight"].shape); // Conv1D: [in, out]
        foreach (var t in saved.Values) t.Dispose();
    }

    [TestMethod]
    public void OriginalHubLayout_NoPrefixMaskBuffersExplicitHeadAndF16_LoadsTheSameWeights()
    {
        using var reference = Gpt2Checkpoint.Load(Gpt2Fixture.Directory);
        using var dir = new TempDirectory();
        File.Copy(Path.Combine(Gpt2Fixture.Directory, "config.json"), dir.File("config.json"));
        var raw = SafeTensors.Load(Path.Combine(Gpt2Fixture.Directory, "model.safetensors"));
        var variant = raw.ToDictionary(kv => kv.Key.Replace("transformer.", ""), kv => kv.Value.to(ScalarType.Float16));
        for (int i = 0; i < 2; i++)
        {
            variant[$"h.{i}.attn.bias"] = ones(1, 1, 64, 64).tril().view(1, 1, 64, 64);
            variant[$"h.{i}.attn.masked_bias"] = tensor(-1e4f);
        }
        variant["lm_head.weight"] = variant["wte.weight"].clone();
        SafeTensors.Save(dir.File("model.safetensors"), variant);
        using var loaded = Gpt2Checkpoint.Load(dir.Path);
        var expected = reference.state_dict();
        foreach (var (key, value) in loaded.state_dict())
            Assert.IsTrue(value.eq(expected[key].to(ScalarType.Float16).to(ScalarType.Float32)).all().item<bool>(), key);
    }

    [TestMethod]
    public void UnknownKey_IsAnErrorNamingIt()
    {
        using var dir = new TempDirectory();
        File.Copy(Path.Combine(Gpt2Fixture.Directory, "config.json"), dir.File("config.json"));
        var raw = SafeTensors.Load(Path.Combine(Gpt2Fixture.Directory, "model.safetensors"));
        raw["transformer.h.0.attn.extra"] = zeros(3);
        raw.Remove("transformer.ln_f.bias");
        SafeTensors.Save(dir.File("model.safetensors"), raw);
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => Gpt2Checkpoint.Load(dir.Path));
        StringAssert.Contains(e.Message, "transformer.h.0.attn.extra");
        StringAssert.Contains(e.Message, "transformer.ln_f.bias");
    }

    [TestMethod]
    public void WrongModelType_IsAClearError()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("config.json"), """{"model_type": "bert", "hidden_size": 32}""");
        var e = Assert.ThrowsExactly<ArgumentException>(() => Gpt2Checkpoint.Load(dir.Path));
        StringAssert.Contains(e.Message, "model_type is 'bert'");
    }

    [TestMethod]
    public void UntiedHead_IsStoredAndRequired_NInnerAndReluHonoured()
    {
        var config = new Gpt2Config { VocabSize = 50, NPositions = 16, NEmbd = 16, NLayer = 1, NHead = 2, NInner = 24, ActivationFunction = "relu", TieWordEmbeddings = false };
        using var model = new Gpt2LMHeadModel(config);
        Gpt2Initializer.Initialize(model, config);
        CollectionAssert.AreEqual(new long[] { 16, 24 }, model.state_dict()["transformer.h.0.mlp.c_fc.weight"].shape);
        using var dir = new TempDirectory();
        Gpt2Checkpoint.Save(model, dir.Path);
        using var loaded = Gpt2Checkpoint.Load(dir.Path);
        Assert.IsTrue(loaded.state_dict()["lm_head.weight"].eq(model.state_dict()["lm_head.weight"]).all().item<bool>());
    }
}
