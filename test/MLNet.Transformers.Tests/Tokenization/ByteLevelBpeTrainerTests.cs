using MLNet.Transformers.Tokenization;

namespace MLNet.Transformers.Tests.Tokenization;

[TestClass]
public sealed class ByteLevelBpeTrainerTests
{
    private static readonly string[] Corpus =
    [
        "the cat sat on the mat", "the cat ate the rat", "then the cat sat again", "naïve café 東京 😀 — the end\n\n  spaced",
    ];

    [TestMethod]
    public void Trained_MergesFrequentPairs_EndsWithEndOfText_AndRoundTripsAnyText()
    {
        var tokenizer = ByteLevelBpeTrainer.Train(Corpus, vocabularySize: 300);
        Assert.AreEqual(tokenizer.VocabularySize - 1, tokenizer.EndOfTextId);
        Assert.IsGreaterThan(256, tokenizer.VocabularySize);
        Assert.AreEqual(2, tokenizer.Encode(" the cat").Length, "frequent words become single tokens: Ġthe, Ġcat");
        Assert.AreEqual("Ġthe", tokenizer.IdToToken(tokenizer.Encode(" the")[0]));
        foreach (var text in Corpus.Append("unseen words: Zürich 🚀 \t tabs"))
            Assert.AreEqual(text, tokenizer.Decode(tokenizer.Encode(text)), "byte-level: nothing is unknown");
        CollectionAssert.AreEqual(new[] { tokenizer.EndOfTextId }, tokenizer.Encode("<|endoftext|>"));
    }

    [TestMethod]
    public void Training_IsDeterministic() =>
        CollectionAssert.AreEqual(ByteLevelBpeTrainer.Train(Corpus, 290).Encode(Corpus[3]), ByteLevelBpeTrainer.Train(Corpus, 290).Encode(Corpus[3]));
}
