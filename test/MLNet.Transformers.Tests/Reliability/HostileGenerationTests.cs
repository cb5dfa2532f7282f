using System.Text.Json.Nodes;
using Microsoft.ML;
using MLNet.Transformers.Estimators;
using MLNet.Transformers.Tests.Models;
using MLNet.Transformers.Tests.Models.T5;
using MLNet.Transformers.Tokenization;
using MLNet.Transformers.Transforms;

namespace MLNet.Transformers.Tests.Reliability;

/// <summary>
/// Issue 20, "generation and tokenizers under hostile input": a 1 MB prompt that is one word is tokenized whole in seconds by
/// every tokenizer (Microsoft.ML.Tokenizers' byte-level BPE merge is quadratic in a word's length; long words take our heap
/// merge); beam/batch settings whose cache and logits would not fit
/// are refused before anything is allocated, naming the option; MaxNewTokens = int.MaxValue stops at the model's positions
/// (GPT-2) or at <see cref="TextGenerationOptions.MaxNewTokensLimit"/>, and generation honours a CancellationToken.
/// </summary>
[TestClass]
public sealed class HostileGenerationTests
{
    private const int Megabyte = 1 << 20;

    private sealed class Prompt { public string Text { get; set; } = ""; }

    private static string OneWord(int length)
    {
        var random = new Random(20);
        return new string(Enumerable.Range(0, length).Select(_ => (char)('a' + random.Next(26))).ToArray());
    }

    // Hang guard, not a performance bound: the 1 MB words take about a second each; with the quadratic merge GPT-2's alone took ~2 minutes.
    [TestMethod]
    [Timeout(60_000, CooperativeCancellation = true)]
    public void OneMegabyteWord_IsTokenizedWholeByGpt2RobertaAndT5()
    {
        string word = OneWord(Megabyte);
        var gpt2 = Gpt2BpeTokenizer.FromDirectory(Gpt2Fixture.Directory);
        var ids = gpt2.Encode(word);
        Assert.AreEqual(word, gpt2.Decode(ids));
        // Merged whole, as HF (ByteLevelBpeLongWordTests checks the heap merge's ids against the quadratic one's): cut into
        // pieces it would give other ids, because merges would stop at the cuts.
        var pieces = word.Chunk(1000).Select(c => new string(c)).ToArray();
        CollectionAssert.AreNotEqual(pieces.SelectMany(gpt2.Encode).ToArray(), ids);

        var roberta = Roberta(gpt2);
        CollectionAssert.AreEqual(ids, roberta.Tokenize(word), "RoBERTa's BPE over the same vocabulary");
        var encoded = roberta.Encode(word, maxLength: 16);
        Assert.AreEqual(16, encoded.InputIds.Length);

        var t5 = T5Tokenizer.FromDirectory(T5Fixture.Directory);
        var t5Ids = t5.Encode(word);
        Assert.AreEqual(word, t5.Decode(t5Ids, skipSpecialTokens: true));
    }

    [TestMethod]
    public void NumBeamsWhoseCacheWouldNotFit_IsRefusedBeforeAllocating_NamingTheOption()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new Prompt { Text = "The quick brown fox" } });
        var options = new TextGenerationOptions { NumBeams = 1_000_000, MaxNewTokens = 4 };   // 10^6 rows × 50,257 logits: ~800 GB
        using var transformer = ml.Transforms.Text.GenerateText(Gpt2Fixture.Directory, "Out", "Text", options).Fit(data);
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => transformer.Generate(["The quick brown fox"]));
        Assert.AreEqual("NumBeams", e.ParamName);
        StringAssert.Contains(e.Message, "MiB");

        var t5Options = new TextToTextOptions { MaxEpochs = 0, Generation = new() { NumBeams = 1_000_000, MaxNewTokens = 4 } };
        using var t5 = ml.Transforms.Text.TextToText(T5Fixture.Directory, options: t5Options).Fit(T5Data(ml));
        Assert.AreEqual("NumBeams", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => t5.Generate(["translate: a b"])).ParamName);
    }

    [TestMethod]
    public void Gpt2_MaxNewTokensIntMaxValue_StopsWhereTheModelsPositionsEnd()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new Prompt { Text = "The quick brown fox" } });
        var options = new TextGenerationOptions { MaxNewTokens = int.MaxValue, EosTokenId = -1 };
        using var transformer = ml.Transforms.Text.GenerateText(Gpt2Fixture.Directory, "Out", "Text", options).Fit(data);
        int promptLength = transformer.Tokenizer.Encode("The quick brown fox").Length;
        var (_, ids) = transformer.Generate(["The quick brown fox"])[0];
        Assert.AreEqual(transformer.Model.Config.NPositions - promptLength, ids.Length);
    }

    [TestMethod]
    public void T5_MaxNewTokensIntMaxValue_IsCapped_AndACancellationTokenStopsIt()
    {
        var ml = new MLContext(seed: 1);
        var options = new TextToTextOptions { MaxEpochs = 0, Generation = new() { MaxNewTokens = int.MaxValue, EosTokenId = -1 } };
        using var t5 = ml.Transforms.Text.TextToText(T5Fixture.Directory, options: options).Fit(T5Data(ml));
        using (var cancelled = new CancellationTokenSource())
        {
            cancelled.Cancel();
            Assert.ThrowsExactly<OperationCanceledException>(() => t5.Generate(["translate: a b"], cancelled.Token));
        }
        using (var later = new CancellationTokenSource())
        {
            later.CancelAfter(TimeSpan.FromMilliseconds(300));                                // mid-generation
            Assert.ThrowsExactly<OperationCanceledException>(() => t5.Generate(["translate: a b"], later.Token));
        }
        var (_, ids) = t5.Generate(["translate: a b"])[0];
        Assert.AreEqual(TextGenerationOptions.MaxNewTokensLimit, ids.Length);
    }

    private sealed class Pair { public string Source { get; set; } = ""; public string Target { get; set; } = ""; }

    private static IDataView T5Data(MLContext ml) => ml.Data.LoadFromEnumerable(new[] { new Pair { Source = "translate: a b", Target = "c" } });

    // RoBERTa's tokenizer over GPT-2's vocabulary and merges, with RoBERTa's special tokens appended.
    private static RobertaBpeTokenizer Roberta(Gpt2BpeTokenizer gpt2)
    {
        var vocabulary = JsonNode.Parse(File.ReadAllText(Path.Combine(Gpt2Fixture.Directory, "vocab.json")))!.AsObject();
        foreach (var token in new[] { "<s>", "<pad>", "</s>", "<unk>", "<mask>" }) vocabulary[token] = vocabulary.Count;
        return RobertaBpeTokenizer.FromContents(System.Text.Encoding.UTF8.GetBytes(vocabulary.ToJsonString()),
            File.ReadAllBytes(Path.Combine(Gpt2Fixture.Directory, "merges.txt")));
    }
}
