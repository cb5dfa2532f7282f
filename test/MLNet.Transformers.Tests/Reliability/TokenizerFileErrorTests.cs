using System.Text;
using System.Text.Json.Nodes;
using Microsoft.ML;
using MLNet.Transformers.Estimators;
using MLNet.Transformers.Tests.Checkpoints;
using MLNet.Transformers.Tests.Encoders;
using MLNet.Transformers.Tests.Models;
using MLNet.Transformers.Tests.Models.T5;
using MLNet.Transformers.Tokenization;

namespace MLNet.Transformers.Tests.Reliability;

/// <summary>
/// Issue 20, "errors that do not name the file" and "silently accepted": every damaged tokenizer file is refused with an
/// error that names the file and what is wrong in it; ids outside the embedding matrix are refused at load.
/// </summary>
[TestClass]
public sealed class TokenizerFileErrorTests
{
    private sealed class Prompt { public string Text { get; set; } = ""; }

    // A copy of gpt2-tiny-random with vocab.json / merges.txt rewritten by the test.
    private static TempDirectory Gpt2Copy(Func<string, string>? vocabulary = null, Func<string, string>? merges = null)
    {
        var dir = new TempDirectory();
        foreach (var file in Directory.GetFiles(Gpt2Fixture.Directory)) File.Copy(file, dir.File(Path.GetFileName(file)));
        if (vocabulary is not null) File.WriteAllText(dir.File("vocab.json"), vocabulary(File.ReadAllText(dir.File("vocab.json"))));
        if (merges is not null) File.WriteAllText(dir.File("merges.txt"), merges(File.ReadAllText(dir.File("merges.txt"))));
        return dir;
    }

    private static string Gpt2LoadError(TempDirectory dir) =>
        Assert.ThrowsExactly<ArgumentException>(() => Gpt2BpeTokenizer.FromDirectory(dir.Path)).Message;

    [TestMethod]
    public void DamagedMergesTxt_IsRefusedNamingTheFileAndLine()
    {
        using (var garbage = Gpt2Copy(merges: _ => "#version: 0.2\nthis line has three\n"))
            StringAssert.Contains(Gpt2LoadError(garbage), $"merges.txt in '{garbage.Path}', line 2: 'this line has three' is not two tokens");

        // One flipped bit in a merge line ('e' → 'd' in its joined token, or a byte that is no longer UTF-8).
        using (var flipped = new TempDirectory())
        {
            foreach (var file in Directory.GetFiles(Gpt2Fixture.Directory)) File.Copy(file, flipped.File(Path.GetFileName(file)));
            var bytes = File.ReadAllBytes(flipped.File("merges.txt"));
            int at = Array.IndexOf(bytes, (byte)'\n', bytes.Length / 2) + 1;                       // the start of a line
            bytes[at] ^= 0x80;
            File.WriteAllBytes(flipped.File("merges.txt"), bytes);
            var message = Assert.ThrowsExactly<ArgumentException>(() => Gpt2BpeTokenizer.FromDirectory(flipped.Path)).Message;
            StringAssert.Contains(message, $"merges.txt in '{flipped.Path}', line ");
            StringAssert.Contains(message, "not in vocab.json");
        }

        using (var unknown = Gpt2Copy(merges: m => m + "zz qq\n"))
            StringAssert.Contains(Gpt2LoadError(unknown), "needs 'zzqq', which is not in vocab.json");

        using (var empty = Gpt2Copy(merges: _ => "#version: 0.2\n"))
            StringAssert.Contains(Gpt2LoadError(empty), $"merges.txt in '{empty.Path}' has no merges");
    }

    [TestMethod]
    public void DamagedVocabJson_IsRefusedNamingTheFile()
    {
        using (var duplicateId = Gpt2Copy(vocabulary: v => SetId(v, "the", 0)))
            StringAssert.Contains(Gpt2LoadError(duplicateId), "both have id 0");
        using (var negative = Gpt2Copy(vocabulary: v => SetId(v, "the", -3)))
            StringAssert.Contains(Gpt2LoadError(negative), $"vocab.json in '{negative.Path}': token 'the' has the negative id -3");
        using (var notObject = Gpt2Copy(vocabulary: _ => "[1, 2]"))
            StringAssert.Contains(Gpt2LoadError(notObject), "vocab.json in");

        var roberta = Assert.ThrowsExactly<ArgumentException>(() => RobertaBpeTokenizer.FromContents(
            Encoding.UTF8.GetBytes("""{"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 2, "<mask>": 4, "a": 5}"""), Encoding.UTF8.GetBytes("#version: 0.2\n")));
        StringAssert.Contains(roberta.Message, "tokens '</s>' and '<unk>' both have id 2");
    }

    [TestMethod]
    public void VocabularyIdOutsideTheEmbeddingMatrix_IsRefusedAtLoad_Gpt2AndRoberta()
    {
        using var gpt2 = Gpt2Copy(vocabulary: v => SetId(v, "the", 9_999_999));
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new Prompt { Text = "the" } });
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => ml.Transforms.Text.GenerateText(gpt2.Path, "Out", "Text").Fit(data));
        StringAssert.Contains(e.Message, $"vocab.json in '{gpt2.Path}': token 'the' has id 9999999, outside the model's embedding matrix");

        using var fixture = EncoderFineTuningTests.WithTokenizerVocabulary("roberta");
        var roberta = EncoderFineTuningTests.Folder(fixture, "Pretrained");
        var vocabulary = JsonNode.Parse(File.ReadAllText(Path.Combine(roberta, "vocab.json")))!.AsObject();
        var token = vocabulary.Select(kv => kv.Key).First(k => k.All(char.IsLetter));
        vocabulary[token] = 9_999_999;
        File.WriteAllText(Path.Combine(roberta, "vocab.json"), vocabulary.ToJsonString());
        var r = Assert.ThrowsExactly<InvalidOperationException>(() => ml.Transforms.Text.TransformerEmbedding(roberta, "E", "Text").Fit(data));
        StringAssert.Contains(r.Message, $"token '{token}' has id 9999999, outside the model's embedding matrix");
    }

    [TestMethod]
    public void DamagedT5TokenizerJson_IsRefusedNamingTheFileAndField()
    {
        var original = JsonNode.Parse(File.ReadAllText(Path.Combine(T5Fixture.Directory, T5Tokenizer.FileName)))!.AsObject();
        string Error(Action<JsonObject> damage)
        {
            using var dir = new TempDirectory();
            var json = original.DeepClone().AsObject();
            damage(json);
            File.WriteAllText(dir.File(T5Tokenizer.FileName), json.ToJsonString());
            var e = Assert.ThrowsExactly<ArgumentException>(() => T5Tokenizer.FromDirectory(dir.Path));
            StringAssert.Contains(e.Message, dir.File(T5Tokenizer.FileName));
            return e.Message;
        }

        StringAssert.Contains(Error(j => { foreach (var key in j.Select(kv => kv.Key).ToList()) j.Remove(key); }), "'model' is missing");
        StringAssert.Contains(Error(j => j["model"]!["vocab"]![5]![1] = "high"), "'model.vocab[5]' has the score \"high\", not a finite number");
        StringAssert.Contains(Error(j => j["model"]!["unk_id"] = 999_999), "'model.unk_id' is 999999, not an id of model.vocab's");
        StringAssert.Contains(Error(j => j["normalizer"]!.AsObject().Remove("type")), "a field is missing or of the wrong JSON type");
    }

    // vocab.json with token's id replaced (the text keeps every other entry as it is).
    private static string SetId(string vocabulary, string token, int id)
    {
        var json = JsonNode.Parse(vocabulary)!.AsObject();
        Assert.IsTrue(json.ContainsKey(token), token);
        json[token] = id;
        return json.ToJsonString();
    }
}
