using MLNet.Transformers.Tokenization;

namespace MLNet.Transformers.Tests.Tokenization;

/// <summary>
/// Expected ids were checked by hand against TestData/bert-base-uncased/vocab.txt (id = line number - 1) following HF's
/// BertTokenizer rules; the fixture's own input_ids (made by HF) are checked too.
/// </summary>
[TestClass]
public sealed class BertWordPieceTokenizerTests
{
    private static readonly string VocabPath = Path.Combine(AppContext.BaseDirectory, "TestData", "bert-base-uncased", "vocab.txt");
    private static readonly BertWordPieceTokenizer Uncased = BertWordPieceTokenizer.FromVocabulary(VocabPath);

    [TestMethod]
    public void Pair_MatchesTheIdsHuggingFaceMadeForTheFixture()
    {
        var tokenizer = BertWordPieceTokenizer.FromDirectory(Path.Combine(AppContext.BaseDirectory, "TestData", "bert-tiny-random"));
        var e = tokenizer.Encode("Hello, world!", "The café");
        CollectionAssert.AreEqual(new[] { 101, 7592, 1010, 2088, 999, 102, 1996, 7668, 102 }, e.InputIds);
        CollectionAssert.AreEqual(new[] { 0, 0, 0, 0, 0, 0, 1, 1, 1 }, e.TokenTypeIds);
        CollectionAssert.AreEqual(new[] { 101, 2054, 4520, 2023, 3260, 103, 2003, 1996, 103, 1012, 102 },
            tokenizer.Encode("What sets this mission [MASK] is the [MASK].").InputIds);
    }

    [TestMethod]
    public void Accents_AreStrippedWhenLowerCasing()
    {
        // café → cafe (7668), naïve → naive (15743), résumé → resume (13746)
        CollectionAssert.AreEqual(new[] { 101, 7668, 15743, 13746, 102 }, Uncased.Encode("Café naïve RÉSUMÉ").InputIds);
    }

    [TestMethod]
    public void Punctuation_NumbersAndContractions_SplitAsHuggingFace()
    {
        // a(1037) gripping(13940) ,(1010) 12(2260) .(1012) 5(1019) %(1003) don(2123) '(1005) t(1056) !(999)
        CollectionAssert.AreEqual(new[] { 101, 1037, 13940, 1010, 2260, 1012, 1019, 1003, 2123, 1005, 1056, 999, 102 },
            Uncased.Encode("A gripping, 12.5% don't!").InputIds);
    }

    [TestMethod]
    public void Cjk_CharactersBecomeSingleTokens_AndControlCharactersVanish()
    {
        // 東(1879) 京(1755); U+0007 is dropped; U+00A0 is whitespace: x(1060) y(1061)
        CollectionAssert.AreEqual(new[] { 101, 1879, 1755, 1060, 1061, 102 }, Uncased.Encode("東京\u0007x\u00A0y").InputIds);
    }

    [TestMethod]
    public void UnknownWords_SplitIntoWordPieces_OrBecomeUnk()
    {
        // super(3565) ##cal(9289) ##if(10128) ##rag(29181) ##ilis(24411) ##tic(4588) ##ex(10288) ##pia(19312) ##lid(21273) ##oc(10085) ##ious(6313)
        CollectionAssert.AreEqual(new[] { 101, 3565, 9289, 10128, 29181, 24411, 4588, 10288, 19312, 21273, 10085, 6313, 102 },
            Uncased.Encode("supercalifragilisticexpialidocious").InputIds);
        var e = Uncased.Encode("x " + new string('a', 101) + " 🦜");
        Assert.AreEqual(Uncased.UnkTokenId, e.InputIds[2], "words over 100 characters are [UNK]");
        Assert.AreEqual(Uncased.UnkTokenId, e.InputIds[3], "a symbol outside the vocabulary is [UNK]");
    }

    [TestMethod]
    public void SstSentences_FromGlueDev()
    {
        // "it 's a charming and often affecting journey . " — SST-2 dev, row 1
        CollectionAssert.AreEqual(new[] { 101, 2009, 1005, 1055, 1037, 11951, 1998, 2411, 12473, 4990, 1012, 102 },
            Uncased.Encode("it 's a charming and often affecting journey . ").InputIds);
    }

    [TestMethod]
    public void Offsets_PointIntoTheOriginalText()
    {
        const string text = "Café — 東京, DON'T";
        var e = Uncased.Encode(text);
        var pieces = Enumerable.Range(1, e.Length - 2).Select(i => text[e.Offsets[i].Start..e.Offsets[i].End]).ToArray();
        CollectionAssert.AreEqual(new[] { "Café", "—", "東", "京", ",", "DON", "'", "T" }, pieces);
        Assert.AreEqual((0, 0), e.Offsets[0], "[CLS] has an empty span");

        var words = Uncased.Encode("gripping supercalifragilistic");
        Assert.AreEqual("super", "gripping supercalifragilistic"[words.Offsets[2].Start..words.Offsets[2].End]);
        Assert.AreEqual("cal", "gripping supercalifragilistic"[words.Offsets[3].Start..words.Offsets[3].End]);
        CollectionAssert.AreEqual(new[] { false, true, true, false }, words.IsWordStart.Take(4).ToArray());
    }

    [TestMethod]
    public void Truncation_IsLongestFirstForPairs()
    {
        var single = Uncased.Encode("one two three four five six", maxLength: 5);
        Assert.AreEqual(5, single.InputIds.Length);
        Assert.AreEqual(102, single.InputIds[^1], "truncation keeps the final [SEP]");

        // A has 6 tokens, B has 2: with room for 5, HF removes from A until it is no longer longer than B.
        var pair = Uncased.Encode("one two three four five six", "seven eight", maxLength: 8);
        CollectionAssert.AreEqual(new[] { 0, 0, 0, 0, 0, 1, 1, 1 }, pair.TokenTypeIds);
        Assert.AreEqual(3, pair.SequenceIds.Count(s => s == 0));
        Assert.AreEqual(2, pair.SequenceIds.Count(s => s == 1));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Uncased.Encode("x", "y", maxLength: 3));
    }

    [TestMethod]
    public void Padding_AndBatches()
    {
        var padded = Uncased.Encode("hello", maxLength: 6, padToMaxLength: true);
        CollectionAssert.AreEqual(new[] { 101, 7592, 102, 0, 0, 0 }, padded.InputIds);
        CollectionAssert.AreEqual(new[] { 1, 1, 1, 0, 0, 0 }, padded.AttentionMask);

        var batch = Uncased.EncodeBatch(["hello", "hello, world!"], null, 16);
        Assert.AreEqual(2, batch.BatchSize);
        Assert.AreEqual(6, batch.SequenceLength);
        CollectionAssert.AreEqual(new long[] { 101, 7592, 102, 0, 0, 0, 101, 7592, 1010, 2088, 999, 102 }, batch.InputIds);
        CollectionAssert.AreEqual(new long[] { 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1 }, batch.AttentionMask);
    }

    [TestMethod]
    public void Cased_KeepsCaseAndAccents()
    {
        string[] vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "Café", "café", "Paris", "##is", "Par"];
        var cased = BertWordPieceTokenizer.FromVocabulary(vocab, lowerCase: false);
        CollectionAssert.AreEqual(new[] { 2, 5, 6, 7, 3 }, cased.Encode("Café café Paris").InputIds);
        CollectionAssert.AreEqual(new[] { 2, 1, 3 }, cased.Encode("paris").InputIds, "lower-case word is unknown to a cased vocabulary");
        CollectionAssert.AreEqual(new[] { 2, 7, 8, 3 }, cased.Encode("Parisis").InputIds, "greedy longest match: Paris ##is");
        Assert.AreEqual("Café café Paris", cased.Decode(cased.Encode("Café café Paris").InputIds));
    }

    [TestMethod]
    public void BadInput_GivesClearErrors()
    {
        Assert.ThrowsExactly<ArgumentNullException>(() => Uncased.Encode(null!));
        var e = Assert.ThrowsExactly<ArgumentException>(() => BertWordPieceTokenizer.FromDirectory(Path.GetTempPath()));
        StringAssert.Contains(e.Message, "vocab.txt");
        var e2 = Assert.ThrowsExactly<ArgumentException>(() => BertWordPieceTokenizer.FromVocabulary(["[PAD]", "[UNK]", "hello"]));
        StringAssert.Contains(e2.Message, "[CLS]");
    }
}
