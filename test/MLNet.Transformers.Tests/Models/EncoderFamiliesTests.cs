using MLNet.Transformers.Checkpoints;
using MLNet.Transformers.Models;
using MLNet.Transformers.Models.Roberta;
using MLNet.Transformers.Tests.Checkpoints;
using MLNet.Transformers.Tests.Encoders;
using MLNet.Transformers.Tests.Reliability;
using static TorchSharp.torch;

namespace MLNet.Transformers.Tests.Models;

/// <summary>
/// The registry of encoder families seen through <see cref="EncoderCheckpoint"/>: one entry per model_type, every checkpoint
/// answered by its own family, and the one shared key-renaming step (legacy names, prefixes, two spellings refused).
/// </summary>
[TestClass]
public sealed class EncoderFamiliesTests
{
    [TestMethod]
    public void SupportedModelTypes_AreTheRegisteredFamilies()
    {
        CollectionAssert.AreEqual(new[] { "bert", "roberta", "distilbert" }, EncoderCheckpoint.SupportedModelTypes.ToArray());
    }

    [TestMethod]
    public void EachFamily_LoadsItsEncoder_AndSavesItBackInItsOwnLayout()
    {
        using var bert = new TinyBertCheckpoint();
        using var roberta = EncoderFixture.Roberta();
        using var distil = EncoderFixture.DistilBert();
        using var temp = new TempDirectory();
        foreach (var (modelType, directory) in new[] { ("bert", bert.Path), ("roberta", roberta.Write("Model")), ("distilbert", distil.Write("Model")) })
        {
            var encoder = EncoderCheckpoint.LoadEncoder(directory, withPooler: false);
            try
            {
                Assert.AreEqual(modelType, encoder.ModelType);
                Assert.AreEqual(EncoderCheckpoint.ReadHiddenSize(directory), encoder.HiddenSize);
                string saved = temp.File(modelType);
                EncoderCheckpoint.SaveEncoder(encoder, saved);
                Assert.AreEqual(modelType, EncoderCheckpoint.ReadInfo(saved).ModelType);
                using (var scope = NewDisposeScope())
                    Assert.IsFalse(SafeTensors.Load(Path.Combine(saved, "model.safetensors")).Keys.Any(k => k.StartsWith(modelType + ".", StringComparison.Ordinal)),
                    $"{modelType}: a bare encoder saves without its prefix, as HF's save_pretrained does");
            }
            finally { ((nn.Module)encoder).Dispose(); }
        }
    }

    [TestMethod]
    public void UnknownModelType_IsRefusedNamingTheRegisteredFamilies()
    {
        using var bert = new TinyBertCheckpoint();
        using var temp = new TempDirectory();
        var directory = bert.Variant(temp, editConfig: c => c.Replace("\"model_type\": \"bert\"", "\"model_type\": \"electra\""));
        var e = Assert.Throws<NotSupportedException>(() => EncoderCheckpoint.LoadEncoder(directory, withPooler: false));
        StringAssert.Contains(e.Message, "model_type 'electra'");
        StringAssert.Contains(e.Message, "bert, roberta, distilbert");
    }

    [TestMethod]
    public void LegacyGammaBetaNames_LoadIntoATaskModel_ButTwoSpellingsOfOneKeyAreRefused()
    {
        using var roberta = EncoderFixture.Roberta();
        string folder = roberta.Write("Model");   // bare-encoder keys (no "roberta." prefix)
        var stored = SafeTensors.Load(Path.Combine(folder, "model.safetensors"));
        try
        {
            var legacy = stored.ToDictionary(kv => kv.Key.Replace("LayerNorm.weight", "LayerNorm.gamma").Replace("LayerNorm.bias", "LayerNorm.beta"), kv => kv.Value);
            SafeTensors.Save(Path.Combine(folder, "model.safetensors"), legacy.ToList());
            using (var model = RobertaCheckpoint.LoadForTokenClassification(folder, numLabels: 2))
                Assert.IsTrue(model.state_dict().ContainsKey("roberta.embeddings.LayerNorm.weight"));

            legacy["roberta.embeddings.LayerNorm.weight"] = legacy["embeddings.LayerNorm.gamma"];
            SafeTensors.Save(Path.Combine(folder, "model.safetensors"), legacy.ToList());
            var e = Assert.Throws<InvalidOperationException>(() => RobertaCheckpoint.LoadForTokenClassification(folder, numLabels: 2));
            StringAssert.Contains(e.Message, "holds 'roberta.embeddings.LayerNorm.weight' twice");
        }
        finally
        {
            foreach (var t in stored.Values) t.Dispose();
        }
    }
}
