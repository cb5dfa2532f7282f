using MLNet.Transformers.Tokenization;

namespace MLNet.Transformers.Tests.Encoders;

/// <summary>
/// RoBERTa tokenization on the real GPT-2 BPE (RoBERTa's merges) with a roberta-base-layout vocabulary (see
/// <see cref="RobertaVocabulary"/>). What is checked against real roberta-base ids:
/// <list type="bullet">
/// <item>published sequences (HF docs and tests, fairseq's README and conversion sample, tokenizers' test_load): plain,
/// leading space, accents ("cécé"), an embedded &lt;mask&gt; and pairs built from them;</item>
/// <item>sentences whose every token is among the 1252 most frequent, with ids from fairseq's dictionary (id = line + 4): the
/// expected ids were derived outside this code base (OpenAI's encoder.py BPE in Python, then the dictionary line).</item>
/// </list>
/// CJK and emoji become byte-level tokens outside the dictionary prefix, so for them the PIECES (token strings, from the
/// same Python BPE) are checked, and ids only as GPT-2's (hand-checked in Gpt2BpeTokenizerTests) mapped through the vocabulary.
/// </summary>
[TestClass]
public sealed class RobertaTokenizerTests
{
    private static readonly Dictionary<string, int> Vocabulary = RobertaVocabulary.Build();
    private static readonly RobertaBpeTokenizer Tokenizer = RobertaBpeTokenizer.FromContents(RobertaVocabulary.Json(), RobertaVocabulary.Merges);
    private static readonly Gpt2BpeTokenizer Gpt2 = Gpt2BpeTokenizer.FromDirectory(Models.Gpt2Fixture.Directory);
    private static readonly Dictionary<string, int> Gpt2Vocabulary = System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, int>>(
        File.ReadAllBytes(Path.Combine(Models.Gpt2Fixture.Directory, "vocab.json")))!;

    [TestMethod]
    [DataRow("Hello world", new[] { 0, 31414, 232, 2 })]     // HF docs: RobertaTokenizerFast("roberta-base")("Hello world")
    [DataRow(" Hello world", new[] { 0, 20920, 232, 2 })]    // HF docs: a leading space changes the first token
    [DataRow(" world", new[] { 0, 232, 2 })]                 // fairseq docs: roberta.encode(' world')
    [DataRow("world", new[] { 0, 8331, 2 })]                 // fairseq docs: roberta.encode('world')
    [DataRow("Hello world!", new[] { 0, 31414, 232, 328, 2 })]   // fairseq README: roberta.encode('Hello world!')
    // fairseq's and HF's RoBERTa conversion sample (SAMPLE_TEXT), the ids HF's modeling integration test feeds; accents
    // become byte-level pieces Ġc Ã© cÃ©. (HF's never-run roberta_dict_integration_testing lists the same ids for the text + " 418".)
    [DataRow("Hello world! cécé herlolip", new[] { 0, 31414, 232, 328, 740, 1140, 12695, 69, 46078, 1588, 2 })]
    [DataRow("This is an example", new[] { 0, 713, 16, 41, 1246, 2 })]   // tokenizers' test_load.py on data/roberta.json
    // HF test_embeded_special_tokens: <mask> swallows the space before it; <mask> is 50264 in roberta-base.
    [DataRow("A, <mask> AllenNLP sentence.", new[] { 0, 250, 6, 50264, 3823, 487, 21992, 3645, 4, 2 })]
    public void Encode_GivesPublishedRobertaBaseIds(string text, int[] expected) =>
        CollectionAssert.AreEqual(expected, Tokenizer.Encode(text).InputIds);

    [TestMethod]
    [DataRow(" This is an example", new[] { 0, 152, 16, 41, 1246, 2 })]                       // leading space: ĠThis
    [DataRow("The game was played on February 7, 2016.", new[] { 0, 133, 177, 21, 702, 15, 902, 262, 6, 336, 4, 2 })]
    [DataRow("It's a new day, and they don't know what to do!", new[] { 0, 243, 18, 10, 92, 183, 6, 8, 51, 218, 75, 216, 99, 7, 109, 328, 2 })]
    [DataRow("He said: \"I'll be back in 10 minutes.\"", new[] { 0, 894, 26, 35, 22, 100, 581, 28, 124, 11, 158, 728, 72, 2 })]
    [DataRow("I'm here because we're all going to the U.S. next year.", new[] { 0, 100, 437, 259, 142, 52, 214, 70, 164, 7, 5, 121, 4, 104, 4, 220, 76, 4, 2 })]
    public void Encode_GivesRobertaBaseIdsFromFairseqsDictionary(string text, int[] expected) =>
        CollectionAssert.AreEqual(expected, Tokenizer.Encode(text).InputIds);

    [TestMethod]
    public void DictionaryPrefix_AgreesWithEveryPublishedRobertaBaseId()
    {
        var prefix = RobertaVocabulary.DictionaryPrefix;
        Assert.AreEqual(1252, prefix.Count);
        for (int i = 1; i < prefix.Count; i++) Assert.IsTrue(prefix[i].Count <= prefix[i - 1].Count, $"line {i}: counts are sorted in dict.txt");
        Assert.AreEqual(prefix.Count, prefix.Select(p => p.Gpt2Id).Distinct().Count(), "no GPT-2 id twice");
        // roberta-base ids published with their token (HF, fairseq, tokenizers), looked up as GPT-2 id → dictionary line + 4.
        var published = new Dictionary<string, int>
        {
            ["."] = 4, [","] = 6, ["Ġthe"] = 5, ["A"] = 250, ["N"] = 487, ["Ġis"] = 16, ["Ġan"] = 41, ["This"] = 713, ["Ġexample"] = 1246,
            ["Ġworld"] = 232, ["!"] = 328, ["Ġher"] = 69, ["Ġc"] = 740, ["Ã©"] = 1140,
        };
        foreach (var (token, id) in published)
        {
            int gpt2Id = Gpt2Vocabulary[token];
            Assert.AreEqual(id, prefix.Select((p, line) => (p.Gpt2Id, line)).Single(p => p.Gpt2Id == gpt2Id).line + 4, token);
        }
    }

    [TestMethod]
    [DataRow("東京 😀 café naïve", new[] { "æĿ", "±", "äº", "¬", "ĠðŁĺ", "Ģ", "ĠcafÃ©", "ĠnaÃ¯ve" })]
    [DataRow("中国 👍 Zürich", new[] { "ä¸Ń", "åĽ", "½", "ĠðŁĳ", "į", "ĠZ", "Ã¼", "rich" })]
    [DataRow("résumé über", new[] { "rÃ©", "sum", "Ã©", "ĠÃ", "¼", "ber" })]
    public void CjkEmojiAndAccents_GiveGpt2sBytePieces(string text, string[] expected) =>
        CollectionAssert.AreEqual(expected, Tokenizer.Tokenize(text).Select(Tokenizer.IdToToken).ToArray());

    [TestMethod]
    public void Offsets_AreTrimmed_AsHuggingFaceTests()
    {
        // test_offsets_mapping_with_different_add_prefix_space_and_trim_space_arguments (trim_offsets=True).
        CollectionAssert.AreEqual(new[] { (0, 5), (6, 11) }, Tokenizer.TokenizeWithOffsets("hello hello").Select(p => (p.Start, p.End)).ToArray());
        CollectionAssert.AreEqual(new[] { (1, 6), (7, 12) }, Tokenizer.TokenizeWithOffsets(" hello hello").Select(p => (p.Start, p.End)).ToArray());
        using var dir = new Checkpoints.TempDirectory();
        RobertaVocabulary.WriteTo(dir.Path, addPrefixSpace: true);
        var prefixed = RobertaBpeTokenizer.FromDirectory(dir.Path);
        CollectionAssert.AreEqual(new[] { (0, 5), (6, 11) }, prefixed.TokenizeWithOffsets("hello hello").Select(p => (p.Start, p.End)).ToArray());
        CollectionAssert.AreEqual(new[] { 0, 152, 16, 41, 1246, 2 }, prefixed.Encode("This is an example").InputIds, "add_prefix_space: ĠThis");
    }

    [TestMethod]
    public void Pair_OfPublishedSequences_IsSDoubleSeparator()
    {
        var e = Tokenizer.Encode("This is an example", "Hello world!");
        CollectionAssert.AreEqual(new[] { 0, 713, 16, 41, 1246, 2, 2, 31414, 232, 328, 2 }, e.InputIds);
        CollectionAssert.AreEqual(new int[11], e.TokenTypeIds);
    }

    [TestMethod]
    public void Pair_IsSDoubleSeparatorAndAllTypeIdsZero()
    {
        var e = Tokenizer.Encode("Hello world", "world");
        CollectionAssert.AreEqual(new[] { 0, 31414, 232, 2, 2, 8331, 2 }, e.InputIds);
        CollectionAssert.AreEqual(new int[7], e.TokenTypeIds);
        CollectionAssert.AreEqual(new[] { -1, 0, 0, -1, -1, 1, -1 }, e.SequenceIds);
    }

    [TestMethod]
    public void AddPrefixSpace_FromTokenizerConfig()
    {
        using var dir = new Checkpoints.TempDirectory();
        RobertaVocabulary.WriteTo(dir.Path, addPrefixSpace: true);
        var tokenizer = RobertaBpeTokenizer.FromDirectory(dir.Path);
        Assert.IsTrue(tokenizer.AddPrefixSpace);
        var e = tokenizer.Encode("Hello world");
        CollectionAssert.AreEqual(new[] { 0, 20920, 232, 2 }, e.InputIds);
        Assert.AreEqual((0, 5), e.Offsets[1]);   // offsets stay in the original text
    }

    [TestMethod]
    [DataRow("a naïve 東京 😀")]                               // accents, CJK and emoji split into byte-level pieces
    [DataRow("Café naïve 東京, it's   spaced out!")]
    [DataRow("Emoji 😀👍🏽 and tabs\tand\r\nCRLF lines\n\n  indented")]
    [DataRow("The capital of France is Paris.")]
    public void Tokens_AreGpt2ByteLevelBpeThroughTheVocabulary(string text)
    {
        var expected = Gpt2.Encode(text).Select(id => Vocabulary[Gpt2.IdToToken(id)!]).Prepend(0).Append(2).ToArray();
        CollectionAssert.AreEqual(expected, Tokenizer.Encode(text).InputIds);
        Assert.AreEqual(text, Tokenizer.Decode(Tokenizer.Encode(text).InputIds));
    }

    [TestMethod]
    public void Offsets_PointIntoTheOriginalTextWithoutSpaces()
    {
        const string text = "Hello world, naïve 東京!";
        var e = Tokenizer.Encode(text);
        Assert.AreEqual((0, 0), e.Offsets[0]);
        Assert.AreEqual("Hello", text[e.Offsets[1].Start..e.Offsets[1].End]);
        Assert.AreEqual("world", text[e.Offsets[2].Start..e.Offsets[2].End]);
        Assert.AreEqual(",", text[e.Offsets[3].Start..e.Offsets[3].End]);
        // Every real token's span is inside the text, non-decreasing, and the spans cover each word.
        int last = 0;
        for (int i = 1; i < e.InputIds.Length - 1; i++)
        {
            var (s, end) = e.Offsets[i];
            Assert.IsTrue(s >= last && end >= s && end <= text.Length, $"token {i}: ({s}, {end})");
            last = s;
        }
        Assert.AreEqual(text.Length, e.Offsets[^2].End);
        Assert.IsTrue(e.IsWordStart[1] && e.IsWordStart[2] && e.IsWordStart[3]);
    }

    [TestMethod]
    public void SpecialTokensInText_AreTheirIds_AndMaskSwallowsTheSpaceBefore()
    {
        var e = Tokenizer.Encode("Hello <mask>!");
        CollectionAssert.AreEqual(new[] { 0, 31414, Tokenizer.MaskTokenId, Vocabulary["!"], 2 }, e.InputIds);
        Assert.AreEqual(Vocabulary["<mask>"], Tokenizer.MaskTokenId);
        CollectionAssert.AreEqual(new[] { 0, 0, 8331, 2, 2 }, Tokenizer.Encode("<s>world</s>").InputIds);
    }

    [TestMethod]
    public void Truncation_LongestFirstAndBatchPadsWithPadId()
    {
        var e = Tokenizer.Encode("Hello world Hello world Hello world", "world world", maxLength: 8);
        Assert.AreEqual(8, e.InputIds.Length);
        Assert.AreEqual(2, e.SequenceIds.Count(s => s == 0));
        Assert.AreEqual(2, e.SequenceIds.Count(s => s == 1));
        var batch = Tokenizer.EncodeBatch(["Hello world", "world"], null, 16);
        CollectionAssert.AreEqual(new long[] { 0, 31414, 232, 2, 0, 8331, 2, 1 }, batch.InputIds);
        CollectionAssert.AreEqual(new long[] { 1, 1, 1, 1, 1, 1, 1, 0 }, batch.AttentionMask);
    }
}
