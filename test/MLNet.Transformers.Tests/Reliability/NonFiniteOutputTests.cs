using Microsoft.ML;
using MLNet.Transformers.Checkpoints;
using MLNet.Transformers.Tests.Checkpoints;
using MLNet.Transformers.Tests.Models;
using static TorchSharp.torch;

namespace MLNet.Transformers.Tests.Reliability;

/// <summary>
/// Issue 20: finite weights of 3.4e38 load (they are not NaN/Inf) and overflowed float32 in the forward, so every score came
/// out NaN or infinite. The scoring and generation paths now refuse such an output with a named error.
/// </summary>
[TestClass]
public sealed class NonFiniteOutputTests
{
    private sealed class Row { public string Text { get; set; } = ""; }

    [TestMethod]
    public void HugeFiniteWeight_GivesANamedErrorInsteadOfNaNScores_BertEmbeddingAndGpt2Generation()
    {
        using var tiny = new TinyBertCheckpoint();
        using var temp = new TempDirectory();
        string bert = tiny.Variant(temp, t => t.Select(kv => kv.Key.EndsWith("embeddings.LayerNorm.weight")
            ? KeyValuePair.Create(kv.Key, full_like(kv.Value, 3.4e38f)) : kv));
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new Row { Text = "the cat" } });
        using (var embedding = ml.Transforms.Text.TransformerEmbedding(bert, "E", "Text").Fit(data))
            StringAssert.Contains(Assert.ThrowsExactly<InvalidOperationException>(() => embedding.Embed(["the cat"])).Message,
                "sentence embedding holds NaN or infinite values");

        string gpt2 = Path.Combine(temp.Path, "gpt2");
        Directory.CreateDirectory(gpt2);
        foreach (var file in Directory.GetFiles(Gpt2Fixture.Directory)) File.Copy(file, Path.Combine(gpt2, Path.GetFileName(file)));
        using (var scope = NewDisposeScope())
        {
            var tensors = SafeTensors.Load(Path.Combine(Gpt2Fixture.Directory, "model.safetensors"));
            Assert.IsTrue(tensors.Keys.Any(k => k.EndsWith("ln_f.weight")));
            SafeTensors.Save(Path.Combine(gpt2, "model.safetensors"), tensors.Select(kv => kv.Key.EndsWith("ln_f.weight")
                ? KeyValuePair.Create(kv.Key, full_like(kv.Value, 3.4e38f)) : kv).ToList());
        }
        using var generator = ml.Transforms.Text.GenerateText(gpt2, "Out", "Text").Fit(data);
        StringAssert.Contains(Assert.ThrowsExactly<InvalidOperationException>(() => generator.Generate(["the cat"])).Message,
            "next-token logits holds NaN or infinite values");
    }
}
