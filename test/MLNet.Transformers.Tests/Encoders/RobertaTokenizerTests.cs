using MLNet.Transformers.Tokenization;

namespace MLNet.Transformers.Tests.Encoders;

/// <summary>
/// RoBERTa tokenization rules on the real GPT-2 BPE (RoBERTa's merges) with a RoBERTa-layout vocabulary (see
/// <see cref="RobertaVocabulary"/>). The first cases are the ids HF's documentation gives for roberta-base; the rest check that
/// every token is the one GPT-2's byte-level BPE picks (hand-checked GPT-2 ids in Gpt2BpeTokenizerTests) mapped through the vocabulary.
/// </summary>
[TestClass]
public sealed class RobertaTokenizerTests
{
    private static readonly Dictionary<string, int> Vocabulary = RobertaVocabulary.Build();
    private static readonly RobertaBpeTokenizer Tokenizer = RobertaBpeTokenizer.FromContents(RobertaVocabulary.Json(), RobertaVocabulary.Merges);
    private static readonly Gpt2BpeTokenizer Gpt2 = Gpt2BpeTokenizer.FromDirectory(Models.Gpt2Fixture.Directory);

    [TestMethod]
    [DataRow("Hello world", new[] { 0, 31414, 232, 2 })]     // HF docs: RobertaTokenizerFast("roberta-base")("Hello world")
    [DataRow(" Hello world", new[] { 0, 20920, 232, 2 })]    // a leading space changes the first token
    [DataRow(" world", new[] { 0, 232, 2 })]                 // fairseq docs: roberta.encode(' world')
    [DataRow("world", new[] { 0, 8331, 2 })]                 // fairseq docs: roberta.encode('world')
    public void Encode_GivesRobertaBaseIds(string text, int[] expected) =>
        CollectionAssert.AreEqual(expected, Tokenizer.Encode(text).InputIds);

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
