using MLNet.Transformers.Tokenization;

namespace MLNet.Transformers.Tests.Tokenization;

[TestClass]
public sealed class WordPieceVocabularyTrainerTests
{
    private static readonly string[] Corpus = File.ReadLines(Path.Combine(AppContext.BaseDirectory, "TestData", "wikitext-2", "valid.txt"))
        .Take(600).ToArray();

    [TestMethod]
    public void Train_SpecialTokensFirst_SizeRespected_Deterministic()
    {
        var vocab = WordPieceVocabularyTrainer.Train(Corpus, new WordPieceTrainingOptions { VocabularySize = 1500 });
        CollectionAssert.AreEqual(new[] { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]" }, vocab.Take(5).ToArray());
        Assert.AreEqual(1500, vocab.Count, "the corpus has enough pairs to fill the requested size");
        Assert.AreEqual(vocab.Count, vocab.Distinct().Count(), "no duplicates");
        CollectionAssert.AreEqual(vocab.ToArray(), WordPieceVocabularyTrainer.Train(Corpus, new WordPieceTrainingOptions { VocabularySize = 1500 }).ToArray());
    }

    [TestMethod]
    public void Train_FrequentWordsBecomeSingleTokens_AndTrainingTextHasNoUnk()
    {
        var vocab = WordPieceVocabularyTrainer.Train(Corpus, new WordPieceTrainingOptions { VocabularySize = 1500 });
        var tokenizer = BertWordPieceTokenizer.FromVocabulary(vocab);
        foreach (var word in new[] { "the", "of", "and", "was", "in" })
            CollectionAssert.Contains(vocab.ToArray(), word);
        CollectionAssert.AreEqual(new[] { tokenizer.TokenToId("the") }, tokenizer.Tokenize("The"));
        Assert.IsFalse(Corpus.SelectMany(tokenizer.Tokenize).Contains(tokenizer.UnkTokenId), "every training character has a token");
        var pieces = tokenizer.Tokenize("unremarkably");
        Assert.IsTrue(pieces.Skip(1).All(id => tokenizer.IdToToken(id).StartsWith("##")), "a rare word splits into a start piece and ## continuations");
    }

    [TestMethod]
    public void SavedVocabulary_LoadsInTheTokenizer()
    {
        var vocab = WordPieceVocabularyTrainer.Train(Corpus, new WordPieceTrainingOptions { VocabularySize = 300, MinFrequency = 5 });
        var path = Path.GetTempFileName();
        try
        {
            WordPieceVocabularyTrainer.Save(vocab, path);
            var tokenizer = BertWordPieceTokenizer.FromVocabulary(path);
            Assert.AreEqual(vocab.Count, tokenizer.VocabularySize);
            Assert.AreEqual(4, tokenizer.MaskTokenId);
        }
        finally { File.Delete(path); }
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => WordPieceVocabularyTrainer.Train(Corpus, new WordPieceTrainingOptions { VocabularySize = 5 }));
    }
}
