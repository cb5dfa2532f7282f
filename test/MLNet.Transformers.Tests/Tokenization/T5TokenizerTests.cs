using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using MLNet.Transformers.Tests.Checkpoints;
using MLNet.Transformers.Tests.Models.T5;
using MLNet.Transformers.Tokenization;

namespace MLNet.Transformers.Tests.Tokenization;

/// <summary>
/// Ids must equal the HF <c>tokenizers</c> library's on t5-small's tokenizer.json. References: the fixture's
/// expected.json, and the ids HF's own test suite asserts for google-t5/t5-base (the same SentencePiece model) in
/// transformers/tests/models/t5/test_tokenization_t5.py.
/// </summary>
[TestClass]
public sealed class T5TokenizerTests
{
    private static readonly Lazy<T5Tokenizer> Shared = new(() => T5Tokenizer.FromDirectory(T5Fixture.Directory));
    private static T5Tokenizer Tokenizer => Shared.Value;

    [TestMethod]
    public void FixtureTexts_GiveTheHuggingFaceIds()
    {
        var fixture = T5Fixture.Load();
        var rows = T5Fixture.InputIdRows();
        for (int i = 0; i < fixture.Texts.Length; i++)
        {
            var expected = rows[i].Reverse().SkipWhile(id => id == 0).Reverse().Select(id => (int)id).ToArray();
            CollectionAssert.AreEqual(expected, Tokenizer.Encode(fixture.Texts[i]).ToArray(), fixture.Texts[i]);
        }
    }

    [TestMethod]
    public void HuggingFaceIntegrationSentences_GiveTheirIdsAndDecodeBack()
    {
        // test_tokenization_t5.py: test_tokenizer_integration (t5-base, same vocabulary) and its decode check.
        var cases = new (string Text, int[] Ids)[]
        {
            ("Transformers (formerly known as pytorch-transformers and pytorch-pretrained-bert) provides "
             + "general-purpose architectures (BERT, GPT-2, RoBERTa, XLM, DistilBert, XLNet...) for Natural "
             + "Language Understanding (NLU) and Natural Language Generation (NLG) with over 32+ pretrained "
             + "models in 100+ languages and deep interoperability between Jax, PyTorch and TensorFlow.",
             [31220, 7, 41, 14034, 801, 38, 3, 102, 63, 17, 127, 524, 18, 7031, 2032, 277, 11, 3, 102, 63, 17, 127, 524, 18, 2026, 17, 10761, 18, 7041, 61, 795, 879, 18, 19681, 4648, 7, 41, 12920, 382, 6, 350, 6383, 4949, 6, 2158, 12920, 382, 9, 6, 3, 4, 11160, 6, 2043, 17153, 279, 49, 17, 6, 3, 4, 434, 9688, 11439, 21, 6869, 10509, 17725, 41, 567, 9138, 61, 11, 6869, 10509, 11946, 41, 18207, 517, 61, 28, 147, 3538, 1220, 7140, 10761, 2250, 16, 910, 1220, 8024, 11, 1659, 1413, 32, 883, 2020, 344, 2215, 226, 6, 12901, 382, 127, 524, 11, 4738, 7, 127, 15390, 5, 1]),
            ("BERT is designed to pre-train deep bidirectional representations from unlabeled text by jointly "
             + "conditioning on both left and right context in all layers.",
             [272, 24203, 19, 876, 12, 554, 18, 9719, 1659, 2647, 26352, 6497, 7, 45, 73, 9339, 400, 26, 1499, 57, 22801, 10760, 30, 321, 646, 11, 269, 2625, 16, 66, 7500, 5, 1]),
            ("The quick brown fox jumps over the lazy dog.", [37, 1704, 4216, 3, 20400, 4418, 7, 147, 8, 19743, 1782, 5, 1]),
            // test_prepare_batch, test_eos_in_input, test_add_prefix_space (legacy tokenizer.json adds the prefix).
            ("A long paragraph for summarization.", [71, 307, 8986, 21, 4505, 1635, 1707, 5, 1]),
            ("Summary of the text.", [20698, 13, 8, 1499, 5, 1]),
            ("Hey how are you doing", [9459, 149, 33, 25, 692, 1]),
            // The fixture's teacher-forcing labels: German target "Das Haus ist wunderbar."
            ("Das Haus ist wunderbar.", [644, 4598, 229, 19250, 5, 1]),
        };
        foreach (var (text, ids) in cases)
        {
            CollectionAssert.AreEqual(ids, Tokenizer.Encode(text).ToArray(), text);
            Assert.AreEqual(text, Tokenizer.Decode(ids, skipSpecialTokens: true), "decode of " + text);
        }
    }

    [TestMethod]
    public void SpecialTokensInText_AreMatchedVerbatim()
    {
        // A literal </s> is the eos id. Like the tokenizers library (HF's slow T5Tokenizer instead skips adding a second
        // </s>), the post-processor still appends one; an empty text is just </s>.
        CollectionAssert.AreEqual(Tokenizer.Encode("hi").Append(1).ToArray(), Tokenizer.Encode("hi</s>").ToArray());
        CollectionAssert.AreEqual(new[] { 71, 307, 8986, 21, 4505, 1635, 1707, 5, 1 },
            Tokenizer.Encode("A long paragraph for summarization. </s>", addEndOfSequence: false).ToArray());
        CollectionAssert.AreEqual(new[] { 1 }, Tokenizer.Encode("").ToArray());
        // test_fast_and_slow_same_result: ids and the decoded text with special tokens kept.
        var ids = Tokenizer.Encode("<pad> Today is <unk> nice day </s>", addEndOfSequence: false).ToArray();
        CollectionAssert.AreEqual(new[] { 0, 1960, 19, 2, 1245, 239, 1 }, ids);
        Assert.AreEqual("<pad> Today is<unk> nice day</s>", Tokenizer.Decode(ids));
    }

    [TestMethod]
    public void Sentinels_AreIds32099DownTo32000AndSurviveEncodeDecode()
    {
        Assert.AreEqual(100, Tokenizer.SentinelCount);
        for (int n = 0; n < 100; n++)
        {
            Assert.AreEqual(32099 - n, Tokenizer.SentinelId(n));
            Assert.AreEqual($"<extra_id_{n}>", Tokenizer.IdToToken(32099 - n));
            Assert.AreEqual(n, Tokenizer.SentinelIndex(32099 - n));
        }
        Assert.AreEqual(-1, Tokenizer.SentinelIndex(37));
        // The T5 docs' span-corruption pair: "The <X> walks in <Y> park" / "<X> cute dog <Y> the <Z>".
        var input = Tokenizer.Encode("The <extra_id_0> walks in <extra_id_1> park").ToArray();
        var target = Tokenizer.Encode("<extra_id_0> cute dog <extra_id_1> the <extra_id_2>").ToArray();
        CollectionAssert.AreEqual(new[] { "▁The", "<extra_id_0>", "▁walks", "▁in", "<extra_id_1>", "▁park", "</s>" }, input.Select(Tokenizer.IdToToken).ToArray());
        CollectionAssert.AreEqual(new[] { "<extra_id_0>", "▁cute", "▁dog", "<extra_id_1>", "▁the", "<extra_id_2>", "</s>" }, target.Select(Tokenizer.IdToToken).ToArray());
        Assert.AreEqual("<extra_id_0> cute dog<extra_id_1> the<extra_id_2></s>", Tokenizer.Decode(target));
        Assert.AreEqual("cute dog the", Tokenizer.Decode(target, skipSpecialTokens: true));
    }

    [TestMethod]
    public void UnknownCharacters_FuseIntoOneUnk()
    {
        // The fixture's "東京" is one <unk> in HF (fuse_unk); "ï" alone is one <unk> between pieces.
        var ids = Tokenizer.Encode("東京 naïve", addEndOfSequence: false).ToArray();
        CollectionAssert.AreEqual(new[] { "▁", "<unk>", "▁", "n", "a", "<unk>", "ve" }, ids.Select(Tokenizer.IdToToken).ToArray());
    }

    [TestMethod]
    public void MaxLength_TruncatesAndKeepsEndOfSequence()
    {
        var full = Tokenizer.Encode("The quick brown fox jumps over the lazy dog.").ToArray();
        var cut = Tokenizer.Encode("The quick brown fox jumps over the lazy dog.", maxLength: 5).ToArray();
        CollectionAssert.AreEqual(full[..4].Append(1).ToArray(), cut);
        Assert.AreEqual(full.Length, Tokenizer.Encode("The quick brown fox jumps over the lazy dog.", maxLength: 100).Count);
    }

    [TestMethod]
    public void WikiTextLines_RoundTripThroughDecode()
    {
        // Without the clean-up of " ." (WikiText keeps spaces before punctuation), decode(encode(x)) restores x up to
        // whitespace runs, for every line whose characters are all in the vocabulary (WikiText's own literal "<unk>"
        // is T5's special token, which decodes without its leading space, so those lines are left out).
        var lines = File.ReadLines(Path.Combine(AppContext.BaseDirectory, "TestData", "wikitext-2", "valid.txt"))
            .Where(l => l.Trim().Length > 0 && !l.Contains("<unk>")).Take(300).ToList();
        int checkedLines = 0;
        foreach (var line in lines)
        {
            var ids = Tokenizer.Encode(line);
            if (ids.Contains(Tokenizer.UnkId)) continue;
            var expected = Regex.Replace(line.Trim(), @"\s+", " ");
            Assert.AreEqual(expected, Tokenizer.Decode(ids, skipSpecialTokens: true, cleanUpTokenizationSpaces: false));
            checkedLines++;
        }
        Assert.IsTrue(checkedLines > 240, $"only {checkedLines} lines without <unk>");
    }

    [TestMethod]
    public void NonT5TokenizerJson_IsRefusedNamingTheField()
    {
        using var dir = new TempDirectory();
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(T5Fixture.Directory, "tokenizer.json")))!;
        json["pre_tokenizer"] = JsonNode.Parse("""{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": true}""");
        File.WriteAllText(dir.File("tokenizer.json"), json.ToJsonString());
        var e = Assert.ThrowsExactly<ArgumentException>(() => T5Tokenizer.FromDirectory(dir.Path));
        StringAssert.Contains(e.Message, "pre_tokenizer");
        Assert.ThrowsExactly<FileNotFoundException>(() => T5Tokenizer.FromDirectory(Path.Combine(dir.Path, "missing")));
    }
}
