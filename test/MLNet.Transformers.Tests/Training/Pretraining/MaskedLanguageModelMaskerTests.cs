using MLNet.Transformers.Training.Pretraining;

namespace MLNet.Transformers.Tests.Training.Pretraining;

[TestClass]
public sealed class MaskedLanguageModelMaskerTests
{
    private const long Ignore = MaskedLanguageModelMasker.IgnoreIndex;

    // Padded batches of real WikiText sentence pairs (variable lengths, so there is padding).
    private static (List<(long[] Ids, long[] Attention, bool[] WordStarts, int Rows, int Length)> Batches, SpecialTokenIds Specials) RealBatches()
    {
        var text = new PretrainingTestText();
        var documents = text.TokenizedDocuments(400);
        var specials = text.Specials;
        var instances = new NextSentencePairBuilder(specials, new NextSentencePairBuilderOptions { MaxSequenceLength = 64, ShortSequenceProbability = 0.3 })
            .Build(documents, new Random(1));
        var batches = new List<(long[], long[], bool[], int, int)>();
        foreach (var chunk in instances.Chunk(16))
        {
            int length = chunk.Max(i => i.Length);
            var ids = new long[chunk.Length * length];
            var attention = new long[ids.Length];
            var starts = new bool[ids.Length];
            for (int r = 0; r < chunk.Length; r++)
                for (int t = 0; t < chunk[r].Length; t++)
                {
                    ids[r * length + t] = chunk[r].InputIds[t];
                    attention[r * length + t] = 1;
                    starts[r * length + t] = !text.IsContinuationPiece(chunk[r].InputIds[t]);
                }
            batches.Add((ids, attention, starts, chunk.Length, length));
        }
        return (batches, specials);
    }

    [TestMethod]
    public void Mask_ChoosesFifteenPercentOfNonSpecialTokens_SplitEightyTenTen()
    {
        var (batches, specials) = RealBatches();
        var masker = new MaskedLanguageModelMasker(specials);
        var random = new Random(42);
        long eligible = 0, chosen = 0, toMask = 0, toRandom = 0, unchanged = 0, unkChosen = 0;
        for (int epoch = 0; epoch < 3; epoch++)
        {
            foreach (var (ids, attention, starts, rows, length) in batches)
            {
                var result = masker.Mask(ids, rows, length, attention, random);
                for (int k = 0; k < ids.Length; k++)
                {
                    bool special = attention[k] == 0 || ids[k] == specials.Cls || ids[k] == specials.Sep || ids[k] == specials.Pad;
                    if (special)
                    {
                        Assert.AreEqual(Ignore, result.Labels[k], "[CLS]/[SEP]/[PAD] must never be chosen");
                        Assert.AreEqual(ids[k], result.InputIds[k], "[CLS]/[SEP]/[PAD] must stay as they are");
                        continue;
                    }
                    eligible++;
                    if (result.Labels[k] == Ignore)
                    {
                        Assert.AreEqual(ids[k], result.InputIds[k], "a token that is not chosen must not change");
                        continue;
                    }
                    Assert.AreEqual(ids[k], result.Labels[k], "the label of a chosen token is its original id");
                    chosen++;
                    if (ids[k] == specials.Unk) unkChosen++;
                    if (result.InputIds[k] == specials.Mask) toMask++;
                    else if (result.InputIds[k] == ids[k]) unchanged++;
                    else
                    {
                        toRandom++;
                        Assert.IsFalse(specials.IsSpecial(result.InputIds[k]), $"random replacement {result.InputIds[k]} is a special id");
                        Assert.IsTrue(result.InputIds[k] >= 0 && result.InputIds[k] < specials.VocabularySize);
                    }
                }
            }
        }
        Assert.IsGreaterThan(50_000L, eligible, "the test needs enough tokens for tight statistics");
        double chosenFraction = (double)chosen / eligible;
        Assert.AreEqual(0.15, chosenFraction, 0.01, $"chosen fraction {chosenFraction:F4} of {eligible}");
        Assert.AreEqual(0.8, (double)toMask / chosen, 0.02);
        Assert.AreEqual(0.1, (double)toRandom / chosen, 0.015);
        Assert.AreEqual(0.1, (double)unchanged / chosen, 0.015);
        Assert.IsGreaterThan(0L, unkChosen, "[UNK] in the text is maskable, as in Hugging Face");
    }

    [TestMethod]
    public void Mask_WholeWordMasking_ChoosesAllPiecesOfAWordOrNone()
    {
        var (batches, specials) = RealBatches();
        var masker = new MaskedLanguageModelMasker(specials, new MaskedLanguageModelMaskerOptions { WholeWordMasking = true });
        var random = new Random(7);
        long words = 0, chosenWords = 0, multiPieceChosen = 0;
        foreach (var (ids, attention, starts, rows, length) in batches)
        {
            var result = masker.Mask(ids, rows, length, attention, random, starts);
            for (int r = 0; r < rows; r++)
            {
                int k = r * length;
                int end = k + length;
                while (k < end)
                {
                    if (attention[k] == 0 || specials.IsNeverMasked(ids[k])) { Assert.AreEqual(Ignore, result.Labels[k]); k++; continue; }
                    int wordEnd = k + 1;
                    while (wordEnd < end && attention[wordEnd] != 0 && !specials.IsNeverMasked(ids[wordEnd]) && !starts[wordEnd]) wordEnd++;
                    int labelled = 0;
                    for (int i = k; i < wordEnd; i++) if (result.Labels[i] != Ignore) labelled++;
                    Assert.IsTrue(labelled == 0 || labelled == wordEnd - k, $"word of {wordEnd - k} pieces has {labelled} chosen");
                    words++;
                    if (labelled > 0) { chosenWords++; if (wordEnd - k > 1) multiPieceChosen++; }
                    k = wordEnd;
                }
            }
        }
        Assert.AreEqual(0.15, (double)chosenWords / words, 0.015, "whole-word masking chooses words with MaskProbability");
        Assert.IsGreaterThan(100L, multiPieceChosen, "multi-piece words must be among the chosen ones");
    }

    [TestMethod]
    public void Mask_RandomReplacements_AreUniformOverNonSpecialIds()
    {
        // Special ids scattered through a vocabulary of 10: the five others must each get about a fifth of the draws.
        var specials = new SpecialTokenIds(Pad: 0, Unk: 3, Cls: 5, Sep: 6, Mask: 9, VocabularySize: 10);
        var options = new MaskedLanguageModelMaskerOptions { MaskProbability = 1, MaskTokenFraction = 0, RandomTokenFraction = 1 };
        var masker = new MaskedLanguageModelMasker(specials, options);
        long[] ids = Enumerable.Repeat(7L, 10_000).ToArray();
        var result = masker.MaskSequence(ids, new Random(9));
        var counts = result.InputIds.GroupBy(id => id).ToDictionary(g => g.Key, g => g.Count());
        CollectionAssert.AreEquivalent(new long[] { 1, 2, 4, 7, 8 }, counts.Keys.ToArray());
        foreach (var (id, count) in counts)
            Assert.AreEqual(2000, count, 150, $"id {id}");
    }

    [TestMethod]
    public void Mask_WholeWordMaskingWithoutWordStarts_Throws()
    {
        var masker = new MaskedLanguageModelMasker(new SpecialTokenIds(0, 1, 2, 3, 4, 50), new MaskedLanguageModelMaskerOptions { WholeWordMasking = true });
        Assert.ThrowsExactly<ArgumentException>(() => masker.MaskSequence([2, 10, 11, 3], new Random(0)));
    }

    [TestMethod]
    public void Mask_SameSeedSameMasks_OtherSeedOtherMasks()
    {
        var (batches, specials) = RealBatches();
        var masker = new MaskedLanguageModelMasker(specials);
        var (ids, attention, _, rows, length) = batches[0];
        var first = masker.Mask(ids, rows, length, attention, new Random(123));
        var again = masker.Mask(ids, rows, length, attention, new Random(123));
        var other = masker.Mask(ids, rows, length, attention, new Random(124));
        CollectionAssert.AreEqual(first.InputIds, again.InputIds);
        CollectionAssert.AreEqual(first.Labels, again.Labels);
        CollectionAssert.AreNotEqual(first.Labels, other.Labels);
    }

    [TestMethod]
    public void Mask_DoesNotModifyTheInput()
    {
        var masker = new MaskedLanguageModelMasker(new SpecialTokenIds(0, 1, 2, 3, 4, 50), new MaskedLanguageModelMaskerOptions { MaskProbability = 1 });
        long[] ids = [2, 10, 11, 12, 3];
        var result = masker.MaskSequence(ids, new Random(0));
        CollectionAssert.AreEqual(new long[] { 2, 10, 11, 12, 3 }, ids);
        CollectionAssert.AreEqual(new long[] { Ignore, 10, 11, 12, Ignore }, result.Labels);
    }

    [TestMethod]
    public void Mask_EnsureAtLeastOneMaskedToken_LabelsEveryRow()
    {
        var specials = new SpecialTokenIds(0, 1, 2, 3, 4, 50);
        var options = new MaskedLanguageModelMaskerOptions { MaskProbability = 0.01, EnsureAtLeastOneMaskedToken = true };
        var masker = new MaskedLanguageModelMasker(specials, options);
        // 200 rows of [CLS] 10 11 12 [SEP] [PAD]
        long[] row = [2, 10, 11, 12, 3, 0];
        long[] ids = Enumerable.Repeat(row, 200).SelectMany(r => r).ToArray();
        long[] attention = Enumerable.Repeat(new long[] { 1, 1, 1, 1, 1, 0 }, 200).SelectMany(r => r).ToArray();
        var result = masker.Mask(ids, 200, 6, attention, new Random(3));
        for (int r = 0; r < 200; r++)
        {
            var labels = result.Labels.AsSpan(r * 6, 6).ToArray();
            Assert.IsTrue(labels.Skip(1).Take(3).Any(l => l != Ignore), $"row {r} has no chosen token");
            Assert.AreEqual(Ignore, labels[0]);
            Assert.AreEqual(Ignore, labels[4]);
            Assert.AreEqual(Ignore, labels[5]);
        }
    }

    [TestMethod]
    public void Options_RejectFractionsAboveOne()
    {
        var options = new MaskedLanguageModelMaskerOptions { MaskTokenFraction = 0.8, RandomTokenFraction = 0.3 };
        Assert.ThrowsExactly<ArgumentException>(() => new MaskedLanguageModelMasker(new SpecialTokenIds(0, 1, 2, 3, 4, 50), options));
    }
}
