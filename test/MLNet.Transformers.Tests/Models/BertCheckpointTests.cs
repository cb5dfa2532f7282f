using MLNet.Transformers.Checkpoints;
using MLNet.Transformers.Models.Bert;
using static TorchSharp.torch;

namespace MLNet.Transformers.Tests.Models;

[TestClass]
public sealed class BertCheckpointTests
{
    private string workDirectory = "";

    [TestInitialize]
    public void CreateWorkDirectory() => workDirectory = Directory.CreateTempSubdirectory("bert-ckpt-").FullName;

    [TestCleanup]
    public void DeleteWorkDirectory() => Directory.Delete(workDirectory, recursive: true);

    /// <summary>Copies the fixture with its tensors rewritten by <paramref name="rewrite"/>.</summary>
    private string FixtureVariant(Func<Dictionary<string, Tensor>, IEnumerable<KeyValuePair<string, Tensor>>> rewrite)
    {
        var dir = Path.Combine(workDirectory, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        foreach (var f in new[] { "config.json", "vocab.txt", "tokenizer_config.json" })
            File.Copy(Path.Combine(BertParityTests.FixtureDirectory, f), Path.Combine(dir, f));
        var tensors = SafeTensors.Load(Path.Combine(BertParityTests.FixtureDirectory, "model.safetensors"));
        SafeTensors.Save(Path.Combine(dir, "model.safetensors"), rewrite(tensors).ToList());
        return dir;
    }

    private static Tensor NspLogits(BertForPreTraining model)
    {
        var expected = BertParityTests.Expected.Load();
        model.eval();
        return model.forward(expected.InputIds, expected.TokenTypeIds, expected.AttentionMask).SeqRelationshipLogits!;
    }

    [TestMethod]
    public void Load_AcceptsKeysWithoutBertPrefixAndLegacyGammaBeta()
    {
        var dir = FixtureVariant(t => t.Select(kv =>
        {
            var key = kv.Key.StartsWith("bert.") ? kv.Key["bert.".Length..] : kv.Key;
            key = key.Replace("LayerNorm.weight", "LayerNorm.gamma").Replace("LayerNorm.bias", "LayerNorm.beta");
            return KeyValuePair.Create(key, kv.Value);
        }));
        using var model = BertCheckpoint.LoadForPreTraining(dir);
        BertParityTests.AssertClose(BertParityTests.Expected.Load().NspLogits, NspLogits(model), "nsp logits");
    }

    [TestMethod]
    public void Load_AcceptsHalfPrecisionStorage()
    {
        var dir = FixtureVariant(t => t.Select(kv => KeyValuePair.Create(kv.Key, kv.Value.to(ScalarType.Float16))));
        using var model = BertCheckpoint.LoadForPreTraining(dir);
        var original = SafeTensors.Load(Path.Combine(BertParityTests.FixtureDirectory, "model.safetensors"));
        var loaded = model.state_dict();
        var expected = original["bert.encoder.layer.1.output.dense.weight"].to(ScalarType.Float16).to(ScalarType.Float32);
        Assert.AreEqual(ScalarType.Float32, loaded["bert.encoder.layer.1.output.dense.weight"].dtype);
        Assert.IsTrue(BertParityTests.Identical(expected, loaded["bert.encoder.layer.1.output.dense.weight"]), "f16 values must be widened exactly");
    }

    [TestMethod]
    public void Load_AcceptsBfloat16StorageAndAnExplicitTiedDecoderWeight()
    {
        var dir = FixtureVariant(t => t.Select(kv => KeyValuePair.Create(kv.Key, kv.Value.to(ScalarType.BFloat16)))
            .Append(KeyValuePair.Create("cls.predictions.decoder.weight", t["bert.embeddings.word_embeddings.weight"].to(ScalarType.BFloat16))));
        using var model = BertCheckpoint.LoadForPreTraining(dir);
        var nsp = NspLogits(model);
        Assert.AreEqual(2L, nsp.shape[1]);
    }

    [TestMethod]
    public void Load_MissingKeyIsAnErrorThatNamesIt()
    {
        var dir = FixtureVariant(t => t.Where(kv => kv.Key != "bert.encoder.layer.1.attention.self.key.bias"));
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => BertCheckpoint.LoadForPreTraining(dir));
        StringAssert.Contains(e.Message, "Missing keys");
        StringAssert.Contains(e.Message, "bert.encoder.layer.1.attention.self.key.bias");
    }

    [TestMethod]
    public void Load_UnexpectedKeyIsAnErrorThatNamesIt()
    {
        var dir = FixtureVariant(t => t.Append(KeyValuePair.Create("bert.encoder.layer.2.output.dense.bias", zeros(32))));
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => BertCheckpoint.LoadEncoder(dir));
        StringAssert.Contains(e.Message, "Unexpected keys");
        StringAssert.Contains(e.Message, "encoder.layer.2.output.dense.bias");
    }

    [TestMethod]
    public void Load_WrongShapeIsAnErrorThatNamesKeyAndShapes()
    {
        var dir = FixtureVariant(t => t.Select(kv => kv.Key == "bert.pooler.dense.weight" ? KeyValuePair.Create(kv.Key, zeros(32, 16)) : kv));
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => BertCheckpoint.LoadEncoder(dir));
        StringAssert.Contains(e.Message, "pooler.dense.weight");
        StringAssert.Contains(e.Message, "[32, 16]");
    }

    [TestMethod]
    public void Load_PretrainingHeadsAreRequiredUnlessFreshHeadsAreAllowed()
    {
        var dir = FixtureVariant(t => t.Where(kv => !kv.Key.StartsWith("cls.")));
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => BertCheckpoint.LoadForPreTraining(dir));
        StringAssert.Contains(e.Message, "cls.predictions.bias");
        using var fresh = BertCheckpoint.LoadForPreTraining(dir, allowFreshHeads: true);
        Assert.AreEqual(0.0, fresh.state_dict()["cls.predictions.bias"].abs().sum().item<float>(), "fresh MLM bias starts at zero as in HF");
    }

    [TestMethod]
    public void Load_ClassificationAndQaHeadsStartFreshOnAPretrainingCheckpoint()
    {
        using var classifier = BertCheckpoint.LoadForSequenceClassification(BertParityTests.FixtureDirectory, numLabels: 3);
        var head = classifier.state_dict()["classifier.weight"];
        CollectionAssert.AreEqual(new long[] { 3, 32 }, head.shape);
        Assert.IsTrue(head.std().item<float>() is > 0.01f and < 0.03f, "fresh head ~ N(0, 0.02)");
        using var qa = BertCheckpoint.LoadForQuestionAnswering(BertParityTests.FixtureDirectory);
        CollectionAssert.AreEqual(new long[] { 2, 32 }, qa.state_dict()["qa_outputs.weight"].shape);
        Assert.IsFalse(qa.state_dict().Keys.Any(k => k.Contains("pooler")), "HF's BertForQuestionAnswering has no pooler");
    }

    [TestMethod]
    public void Load_NonBertConfigIsRejectedNamingTheField()
    {
        var dir = FixtureVariant(t => t);
        File.WriteAllText(Path.Combine(dir, "config.json"), File.ReadAllText(Path.Combine(dir, "config.json")).Replace("\"num_attention_heads\": 4", "\"num_attention_heads\": 5"));
        var e = Assert.ThrowsExactly<ArgumentException>(() => BertCheckpoint.LoadEncoder(dir));
        StringAssert.Contains(e.Message, "num_attention_heads");
        StringAssert.Contains(e.Message, "config.json");
    }

    [TestMethod]
    public void SaveThenLoad_IsBitIdenticalAndInHuggingFaceLayout()
    {
        using var model = BertCheckpoint.LoadForPreTraining(BertParityTests.FixtureDirectory);
        var dir = Path.Combine(workDirectory, "saved");
        BertCheckpoint.Save(model, model.Config, dir, "BertForPreTraining");

        var saved = SafeTensors.Load(Path.Combine(dir, "model.safetensors"));
        var original = SafeTensors.Load(Path.Combine(BertParityTests.FixtureDirectory, "model.safetensors"));
        CollectionAssert.AreEquivalent(original.Keys.ToList(), saved.Keys.ToList(), "same keys as HF saves (no tied decoder weight)");
        foreach (var (key, tensor) in original)
            Assert.IsTrue(BertParityTests.Identical(tensor, saved[key]), $"{key} differs after save");

        using var reloaded = BertCheckpoint.LoadForPreTraining(dir);
        var a = model.state_dict();
        foreach (var (key, tensor) in reloaded.state_dict())
            Assert.IsTrue(BertParityTests.Identical(tensor, a[key]), $"{key} differs after reload");
        var config = BertCheckpoint.ReadConfig(dir);
        Assert.AreEqual(model.Config with { Architectures = null }, config with { Architectures = null });
        CollectionAssert.AreEqual(new[] { "BertForPreTraining" }, config.Architectures);
    }
}
