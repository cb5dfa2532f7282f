using MLNet.Transformers.Training.Pretraining;

namespace MLNet.Transformers.Tests.Training.Pretraining;

[TestClass]
public sealed class SequencePackerTests
{
    private static readonly SpecialTokenIds Specials = new(Pad: 0, Unk: 1, Cls: 2, Sep: 3, Mask: 4, VocabularySize: 1000);

    [TestMethod]
    public void Pack_KeepsEveryTokenInOrder_WithinMaxLength_PerDocument()
    {
        var documents = new List<IReadOnlyList<int[]>>
        {
            new List<int[]> { new[] { 10, 11, 12 }, new[] { 13, 14 }, new[] { 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25 }, new[] { 26 } },
            new List<int[]> { new[] { 30, 31 } },
        };
        var instances = SequencePacker.Pack(documents, Specials, maxSequenceLength: 6);
        var expected = new[]
        {
            new[] { 2, 10, 11, 12, 3 },         // [13, 14] does not fit after 3 tokens (capacity 4)
            new[] { 2, 13, 14, 3 },             // a long sentence starts a new sequence...
            new[] { 2, 15, 16, 17, 18, 3 },     // ...and is split across sequences
            new[] { 2, 19, 20, 21, 22, 3 },
            new[] { 2, 23, 24, 25, 26, 3 },     // its tail shares a sequence with the next sentence
            new[] { 2, 30, 31, 3 },             // a sequence never spans two documents
        };
        Assert.HasCount(expected.Length, instances);
        for (int i = 0; i < expected.Length; i++)
        {
            CollectionAssert.AreEqual(expected[i], instances[i].InputIds, $"instance {i}");
            Assert.IsTrue(instances[i].TokenTypeIds.All(t => t == 0));
            Assert.AreEqual(PretrainingInstance.NoNextSentenceLabel, instances[i].NextSentenceLabel);
        }
    }

    [TestMethod]
    public void Pack_OnWikiText_LosesNoToken()
    {
        var text = new PretrainingTestText();
        var documents = text.TokenizedDocuments(200);
        var instances = SequencePacker.Pack(documents, text.Specials, 32);
        Assert.IsTrue(instances.All(i => i.Length <= 32 && i.InputIds[0] == 2 && i.InputIds[^1] == 3));
        var packed = instances.SelectMany(i => i.InputIds[1..^1]).ToArray();
        var original = documents.SelectMany(d => d).SelectMany(s => s).ToArray();
        CollectionAssert.AreEqual(original, packed);
    }
}
