using MLNet.Transformers.Training.Pretraining;

namespace MLNet.Transformers.Tests.Training.Pretraining;

[TestClass]
public sealed class NextSentencePairBuilderTests
{
    private static readonly SpecialTokenIds Specials = new(Pad: 0, Unk: 1, Cls: 2, Sep: 3, Mask: 4, VocabularySize: 1_000_000);

    // Synthetic documents whose ids say where a token comes from: document d holds the consecutive ids
    // 10_000 * (d + 1), 10_000 * (d + 1) + 1, ... in order, cut into sentences of 3..12 tokens.
    private static List<IReadOnlyList<int[]>> Documents(int count, int sentences, int seed)
    {
        var random = new Random(seed);
        var documents = new List<IReadOnlyList<int[]>>();
        for (int d = 0; d < count; d++)
        {
            int next = 10_000 * (d + 1);
            var doc = new List<int[]>();
            for (int s = 0; s < sentences; s++)
            {
                int length = random.Next(3, 13);
                doc.Add(Enumerable.Range(next, length).ToArray());
                next += length;
            }
            documents.Add(doc);
        }
        return documents;
    }

    private static int DocumentOf(int id) => id / 10_000 - 1;

    // Splits [CLS] A [SEP] B [SEP], checking the layout and the token types.
    private static (int[] A, int[] B) Segments(PretrainingInstance instance)
    {
        var ids = instance.InputIds;
        Assert.AreEqual(Specials.Cls, ids[0], "instance must start with [CLS]");
        Assert.AreEqual(Specials.Sep, ids[^1], "instance must end with [SEP]");
        int firstSep = Array.IndexOf(ids, Specials.Sep);
        Assert.AreEqual(2, ids.Count(t => t == Specials.Sep), "exactly two [SEP]");
        Assert.AreEqual(ids.Length, instance.TokenTypeIds.Length);
        for (int t = 0; t < ids.Length; t++)
            Assert.AreEqual(t <= firstSep ? 0 : 1, instance.TokenTypeIds[t], $"token type at {t}");
        var a = ids[1..firstSep];
        var b = ids[(firstSep + 1)..^1];
        Assert.IsNotEmpty(a, "A must not be empty");
        Assert.IsNotEmpty(b, "B must not be empty");
        return (a, b);
    }

    private static bool IsContiguous(int[] ids) => ids.Zip(ids.Skip(1)).All(p => p.Second == p.First + 1);

    [TestMethod]
    public void Build_LabelsAreAboutHalfIsNext_AndCorrect_AndLengthsFit()
    {
        var options = new NextSentencePairBuilderOptions { MaxSequenceLength = 24 };
        var instances = new NextSentencePairBuilder(Specials, options).Build(Documents(100, 30, seed: 1), new Random(5));
        int isNext = 0;
        foreach (var instance in instances)
        {
            Assert.IsLessThanOrEqualTo(24, instance.Length);
            var (a, b) = Segments(instance);
            Assert.IsTrue(IsContiguous(a) && IsContiguous(b), "segments are runs of consecutive text");
            int docA = DocumentOf(a[0]);
            Assert.IsTrue(a.All(t => DocumentOf(t) == docA));
            Assert.IsTrue(b.All(t => DocumentOf(t) == DocumentOf(b[0])));
            if (instance.NextSentenceLabel == PretrainingInstance.IsNext)
            {
                isNext++;
                Assert.AreEqual(docA, DocumentOf(b[0]), "IsNext: B comes from A's document");
                Assert.IsGreaterThan(a[^1], b[0], "IsNext: B comes after A");
            }
            else
            {
                Assert.AreEqual(PretrainingInstance.NotNext, instance.NextSentenceLabel);
                Assert.AreNotEqual(docA, DocumentOf(b[0]), "NotNext: B comes from another document");
            }
        }
        Assert.IsGreaterThan(1000, instances.Count);
        Assert.AreEqual(0.5, (double)isNext / instances.Count, 0.05, $"{isNext} IsNext of {instances.Count}");
    }

    [TestMethod]
    public void Build_WithoutTruncation_IsNextBStartsRightAfterA()
    {
        // Long enough that nothing is truncated: an IsNext B must start with the token right after A's last one.
        var options = new NextSentencePairBuilderOptions { MaxSequenceLength = 512, ShortSequenceProbability = 0 };
        var instances = new NextSentencePairBuilder(Specials, options).Build(Documents(100, 8, seed: 2), new Random(6));
        int checkedPairs = 0;
        foreach (var instance in instances.Where(i => i.NextSentenceLabel == PretrainingInstance.IsNext))
        {
            var (a, b) = Segments(instance);
            Assert.AreEqual(a[^1] + 1, b[0]);
            checkedPairs++;
        }
        Assert.IsGreaterThan(20, checkedPairs);
    }

    [TestMethod]
    public void Build_EverySentenceAppearsInSomeSegmentA_OrIsNextB()
    {
        // Unused sentences are put back after a random B: no text of a document is skipped.
        var options = new NextSentencePairBuilderOptions { MaxSequenceLength = 512, ShortSequenceProbability = 0 };
        var documents = Documents(20, 8, seed: 3);
        var instances = new NextSentencePairBuilder(Specials, options).Build(documents, new Random(8));
        var covered = new HashSet<int>();
        foreach (var instance in instances)
        {
            var (a, b) = Segments(instance);
            covered.UnionWith(a);
            if (instance.NextSentenceLabel == PretrainingInstance.IsNext) covered.UnionWith(b);
        }
        foreach (var sentence in documents.SelectMany(d => d))
            Assert.IsTrue(sentence.All(covered.Contains), $"sentence starting with {sentence[0]} was skipped");
    }

    [TestMethod]
    public void Build_SingleSentenceDocuments_GetARandomB()
    {
        var documents = new List<IReadOnlyList<int[]>>
        {
            new List<int[]> { new[] { 10_000, 10_001, 10_002 } },
            new List<int[]> { new[] { 20_000, 20_001 } },
        };
        var instances = new NextSentencePairBuilder(Specials).Build(documents, new Random(1));
        Assert.HasCount(2, instances);
        foreach (var instance in instances)
        {
            var (a, b) = Segments(instance);
            Assert.AreEqual(PretrainingInstance.NotNext, instance.NextSentenceLabel);
            Assert.AreNotEqual(DocumentOf(a[0]), DocumentOf(b[0]));
        }
    }

    [TestMethod]
    public void Build_LastSentenceAlone_IsPairedWithThePreviousSentence()
    {
        // Each sentence fills the target length by itself, so every chunk is one sentence.
        var documents = new List<IReadOnlyList<int[]>>
        {
            new List<int[]> { Enumerable.Range(10_000, 10).ToArray(), Enumerable.Range(10_010, 10).ToArray(), Enumerable.Range(10_020, 10).ToArray() },
            new List<int[]> { Enumerable.Range(20_000, 10).ToArray() },
        };
        var options = new NextSentencePairBuilderOptions { MaxSequenceLength = 13, ShortSequenceProbability = 0, RandomNextProbability = 0 };
        var instances = new NextSentencePairBuilder(Specials, options).Build(documents, new Random(1));
        var fromFirst = instances.Where(i => DocumentOf(i.InputIds[1]) == 0).ToList();
        Assert.IsTrue(fromFirst.All(i => i.NextSentenceLabel == PretrainingInstance.IsNext));
        Assert.IsTrue(fromFirst.Any(i => Segments(i).B.All(t => t >= 10_020)), "the last sentence is used as B");
        foreach (var instance in fromFirst)
        {
            var (a, b) = Segments(instance);
            Assert.IsGreaterThan(a[^1], b[0]);
            Assert.IsLessThanOrEqualTo(13, instance.Length);
        }
    }

    [TestMethod]
    public void Build_SameSeedSameInstances_OtherSeedOthers()
    {
        var documents = Documents(10, 10, seed: 4);
        var builder = new NextSentencePairBuilder(Specials, new NextSentencePairBuilderOptions { MaxSequenceLength = 32 });
        var first = builder.Build(documents, new Random(11));
        var again = builder.Build(documents, new Random(11));
        var other = builder.Build(documents, new Random(12));
        Assert.HasCount(first.Count, again);
        for (int i = 0; i < first.Count; i++)
        {
            CollectionAssert.AreEqual(first[i].InputIds, again[i].InputIds);
            Assert.AreEqual(first[i].NextSentenceLabel, again[i].NextSentenceLabel);
        }
        Assert.IsFalse(first.Count == other.Count && first.Zip(other).All(p => p.First.InputIds.SequenceEqual(p.Second.InputIds)));
    }

    [TestMethod]
    public void Build_OneDocument_Throws()
    {
        var documents = new List<IReadOnlyList<int[]>> { new List<int[]> { new[] { 10, 11 }, new[] { 12 } }, new List<int[]> { Array.Empty<int>() } };
        var error = Assert.ThrowsExactly<ArgumentException>(() => new NextSentencePairBuilder(Specials).Build(documents, new Random(0)));
        StringAssert.Contains(error.Message, "two non-empty documents");
    }

    [TestMethod]
    public void Build_OnWikiText_RespectsMaxLength()
    {
        var text = new PretrainingTestText();
        var documents = text.TokenizedDocuments(300);
        var instances = new NextSentencePairBuilder(text.Specials, new NextSentencePairBuilderOptions { MaxSequenceLength = 48 })
            .Build(documents, new Random(2));
        Assert.IsGreaterThan(100, instances.Count);
        Assert.IsTrue(instances.All(i => i.Length <= 48));
        double notNext = instances.Count(i => i.NextSentenceLabel == PretrainingInstance.NotNext) / (double)instances.Count;
        Assert.AreEqual(0.5, notNext, 0.1);
    }
}
