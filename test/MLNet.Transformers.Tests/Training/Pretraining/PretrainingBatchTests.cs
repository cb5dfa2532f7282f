using MLNet.Transformers.Training.Pretraining;

namespace MLNet.Transformers.Tests.Training.Pretraining;

[TestClass]
public sealed class PretrainingBatchTests
{
    private static readonly SpecialTokenIds Specials = new(Pad: 0, Unk: 1, Cls: 2, Sep: 3, Mask: 4, VocabularySize: 50);

    private static readonly PretrainingInstance Long = new([2, 10, 11, 3, 12, 13, 3], [0, 0, 0, 0, 1, 1, 1], PretrainingInstance.IsNext);
    private static readonly PretrainingInstance Short = new([2, 20, 3, 21, 3], [0, 0, 0, 1, 1], PretrainingInstance.NotNext);

    [TestMethod]
    public void Create_PadsToLongestRow_WithMaskedIdsAndLabels()
    {
        var masker = new MaskedLanguageModelMasker(Specials, new MaskedLanguageModelMaskerOptions { MaskProbability = 1, MaskTokenFraction = 1, RandomTokenFraction = 0 });
        using var batch = PretrainingBatch.Create([Long, Short], Specials, masker, new Random(0));
        CollectionAssert.AreEqual(new long[] { 2, 7 }, batch.InputIds.shape);
        CollectionAssert.AreEqual(new long[] { 2, 4, 4, 3, 4, 4, 3, /**/ 2, 4, 3, 4, 3, 0, 0 }, batch.InputIds.data<long>().ToArray());
        CollectionAssert.AreEqual(new long[] { -100, 10, 11, -100, 12, 13, -100, /**/ -100, 20, -100, 21, -100, -100, -100 }, batch.Labels.data<long>().ToArray());
        CollectionAssert.AreEqual(new long[] { 0, 0, 0, 0, 1, 1, 1, /**/ 0, 0, 0, 1, 1, 0, 0 }, batch.TokenTypeIds.data<long>().ToArray());
        CollectionAssert.AreEqual(new long[] { 1, 1, 1, 1, 1, 1, 1, /**/ 1, 1, 1, 1, 1, 0, 0 }, batch.AttentionMask.data<long>().ToArray());
        Assert.IsNotNull(batch.NextSentenceLabels);
        CollectionAssert.AreEqual(new long[] { 0, 1 }, batch.NextSentenceLabels.data<long>().ToArray());
    }

    [TestMethod]
    public void Create_PadToLength_AndSingleSegmentsHaveNoNextSentenceLabels()
    {
        var masker = new MaskedLanguageModelMasker(Specials, new MaskedLanguageModelMaskerOptions { MaskProbability = 0 });
        var single = new PretrainingInstance([2, 10, 11, 3], new int[4], PretrainingInstance.NoNextSentenceLabel);
        using var batch = PretrainingBatch.Create([single], Specials, masker, new Random(0), padToLength: 6);
        CollectionAssert.AreEqual(new long[] { 2, 10, 11, 3, 0, 0 }, batch.InputIds.data<long>().ToArray());
        Assert.IsTrue(batch.Labels.data<long>().ToArray().All(l => l == -100));
        Assert.IsNull(batch.NextSentenceLabels);
        Assert.ThrowsExactly<ArgumentException>(() => PretrainingBatch.Create([single], Specials, masker, new Random(0), padToLength: 3));
    }

    [TestMethod]
    public void Create_RejectsMixedPairsAndSingleSegments()
    {
        var masker = new MaskedLanguageModelMasker(Specials);
        var single = new PretrainingInstance([2, 10, 3], new int[3], PretrainingInstance.NoNextSentenceLabel);
        var error = Assert.ThrowsExactly<ArgumentException>(() => PretrainingBatch.Create([Long, single], Specials, masker, new Random(0)));
        StringAssert.Contains(error.Message, "Mixed batch");
    }

    [TestMethod]
    public void Create_WholeWordMasking_UsesContinuationPieces()
    {
        // Word pieces: 10 ##11 ##12 | 13. The three pieces of the first word are chosen together or not at all; without the predicate it is an error.
        var masker = new MaskedLanguageModelMasker(Specials, new MaskedLanguageModelMaskerOptions { WholeWordMasking = true, MaskProbability = 0.5 });
        var instance = new PretrainingInstance([2, 10, 11, 12, 13, 3], new int[6], PretrainingInstance.NoNextSentenceLabel);
        Assert.ThrowsExactly<ArgumentException>(() => PretrainingBatch.Create([instance], Specials, masker, new Random(0)));
        var random = new Random(1);
        for (int trial = 0; trial < 50; trial++)
        {
            using var batch = PretrainingBatch.Create([instance], Specials, masker, random, isContinuationPiece: id => id is 11 or 12);
            var labels = batch.Labels.data<long>().ToArray();
            bool first = labels[1] != -100;
            Assert.AreEqual(first, labels[2] != -100);
            Assert.AreEqual(first, labels[3] != -100);
        }
    }
}
