using MLNet.Transformers.Tests.Models.T5;
using MLNet.Transformers.Tokenization;
using MLNet.Transformers.Training.Objectives.SpanCorruption;

namespace MLNet.Transformers.Tests.Training.Objectives.SpanCorruption;

/// <summary>
/// The five objectives on the lectures' (and T5 paper's Table 3) example, "Thank you for inviting me to your party last
/// week.", with T5's real vocabulary; and span corruption's sentinel structure over many random samples.
/// </summary>
[TestClass]
public sealed class PretrainingExampleBuilderTests
{
    private const string Example = "Thank you for inviting me to your party last week.";
    private static readonly Lazy<T5Tokenizer> SharedTokenizer = new(() => T5Tokenizer.FromDirectory(T5Fixture.Directory));
    private static T5Tokenizer Tokenizer => SharedTokenizer.Value;
    private static CorruptionVocabulary Vocabulary => CorruptionVocabulary.FromTokenizer(Tokenizer);

    // ▁Thank ▁you ▁for ▁inviting ▁me ▁to ▁your ▁party ▁last ▁week .
    private static int[] ExampleTokens()
    {
        var ids = Tokenizer.Encode(Example, addEndOfSequence: false).ToArray();
        CollectionAssert.AreEqual(new[] { "▁Thank", "▁you", "▁for", "▁inviting", "▁me", "▁to", "▁your", "▁party", "▁last", "▁week", "." },
            ids.Select(Tokenizer.IdToToken).ToArray());
        return ids;
    }

    // "for inviting" and "last" corrupted, as in the paper's figure.
    private static readonly bool[] PaperMask = [false, false, true, true, false, false, false, false, true, false, false];

    private static string[] Pieces(int[] ids) => ids.Select(Tokenizer.IdToToken).ToArray();

    [TestMethod]
    public void ReplaceSpans_GivesThePapersInputAndTarget()
    {
        var pair = new PretrainingExampleBuilder(T5Objective.ReplaceSpans, Vocabulary).Build(ExampleTokens(), PaperMask, new Random(0));
        CollectionAssert.AreEqual(new[] { "▁Thank", "▁you", "<extra_id_0>", "▁me", "▁to", "▁your", "▁party", "<extra_id_1>", "▁week", ".", "</s>" }, Pieces(pair.Input));
        CollectionAssert.AreEqual(new[] { "<extra_id_0>", "▁for", "▁inviting", "<extra_id_1>", "▁last", "<extra_id_2>", "</s>" }, Pieces(pair.Target));
    }

    [TestMethod]
    public void DropTokens_GivesThePapersInputAndTarget()
    {
        var pair = new PretrainingExampleBuilder(T5Objective.DropTokens, Vocabulary).Build(ExampleTokens(), PaperMask, new Random(0));
        Assert.AreEqual("Thank you me to your party week.", Tokenizer.Decode(pair.Input, skipSpecialTokens: true));
        Assert.AreEqual("for inviting last", Tokenizer.Decode(pair.Target, skipSpecialTokens: true));
        Assert.AreEqual(1, pair.Target[^1]);
    }

    [TestMethod]
    public void BertStyle_MasksOrRandomizesAndTargetsTheOriginal()
    {
        var tokens = ExampleTokens();
        var masked = new PretrainingExampleBuilder(T5Objective.BertStyle, Vocabulary, randomTokenProbability: 0).Build(tokens, PaperMask, new Random(0));
        CollectionAssert.AreEqual(new[] { "▁Thank", "▁you", "<extra_id_0>", "<extra_id_0>", "▁me", "▁to", "▁your", "▁party", "<extra_id_0>", "▁week", ".", "</s>" }, Pieces(masked.Input));
        CollectionAssert.AreEqual(tokens.Append(1).ToArray(), masked.Target);

        var randomized = new PretrainingExampleBuilder(T5Objective.BertStyle, Vocabulary, randomTokenProbability: 1).Build(tokens, PaperMask, new Random(3));
        for (int i = 0; i < tokens.Length; i++)
        {
            if (!PaperMask[i]) Assert.AreEqual(tokens[i], randomized.Input[i]);
            else Assert.IsFalse(Tokenizer.IsSpecial(randomized.Input[i]), "random replacements are ordinary ids (like 'apple')");
        }
    }

    [TestMethod]
    public void BertStyle_OverManySamples_CorruptsTheRateWithNinetyPercentMasks()
    {
        var builder = new PretrainingExampleBuilder(T5Objective.BertStyle, Vocabulary);
        var random = new Random(5);
        var tokens = Enumerable.Range(100, 400).ToArray();
        int changedOrMasked = 0, masks = 0, total = 0;
        for (int s = 0; s < 200; s++)
        {
            var pair = builder.Build(tokens, random);
            for (int i = 0; i < tokens.Length; i++)
            {
                if (pair.Input[i] == Tokenizer.SentinelId(0)) { masks++; changedOrMasked++; }
                else if (pair.Input[i] != tokens[i]) changedOrMasked++;
            }
            total += tokens.Length;
        }
        Assert.AreEqual(0.15, (double)changedOrMasked / total, 0.01);
        Assert.AreEqual(0.9, (double)masks / changedOrMasked, 0.03);
    }

    [TestMethod]
    public void PrefixLanguageModel_SplitsIntoPrefixAndRest()
    {
        var builder = new PretrainingExampleBuilder(T5Objective.PrefixLanguageModel, Vocabulary);
        var pair = builder.SplitPrefix(ExampleTokens(), 4);
        Assert.AreEqual("Thank you for inviting", Tokenizer.Decode(pair.Input, skipSpecialTokens: true));
        Assert.AreEqual("me to your party last week.", Tokenizer.Decode(pair.Target, skipSpecialTokens: true));
        var random = builder.Build(ExampleTokens(), new Random(1));
        CollectionAssert.AreEqual(ExampleTokens().Append(1).ToArray(), random.Input[..^1].Concat(random.Target).ToArray(), "prefix + rest = the text");
        Assert.IsTrue(random.Input.Length >= 2 && random.Target.Length >= 2);
    }

    [TestMethod]
    public void Deshuffle_ShufflesTheInputAndTargetsTheOriginal()
    {
        var tokens = ExampleTokens();
        var pair = new PretrainingExampleBuilder(T5Objective.Deshuffle, Vocabulary).Build(tokens, new Random(4));
        CollectionAssert.AreEquivalent(tokens, pair.Input[..^1]);
        CollectionAssert.AreNotEqual(tokens, pair.Input[..^1]);
        CollectionAssert.AreEqual(tokens.Append(1).ToArray(), pair.Target);
    }

    [TestMethod]
    public void ReplaceSpans_OverManySamples_HasConsecutiveSentinelsAndTheTargetReconstructsTheText()
    {
        var builder = new PretrainingExampleBuilder(T5Objective.ReplaceSpans, Vocabulary);
        var random = new Random(11);
        var (tokensLength, targetsLength) = SpanCorruptionLengths.Compute(128, 0.15, 3);
        for (int s = 0; s < 500; s++)
        {
            var tokens = Enumerable.Range(0, tokensLength).Select(_ => random.Next(3, 32000)).ToArray();
            var pair = builder.Build(tokens, random);
            Assert.AreEqual(128, pair.Input.Length, "packed length fills the input exactly");
            Assert.AreEqual(targetsLength, pair.Target.Length);
            var inputSentinels = pair.Input.Select(Tokenizer.SentinelIndex).Where(k => k >= 0).ToArray();
            var targetSentinels = pair.Target.Select(Tokenizer.SentinelIndex).Where(k => k >= 0).ToArray();
            CollectionAssert.AreEqual(Enumerable.Range(0, inputSentinels.Length).ToArray(), inputSentinels, "input sentinels are <extra_id_0>, <extra_id_1>, …");
            CollectionAssert.AreEqual(Enumerable.Range(0, targetSentinels.Length).ToArray(), targetSentinels, "target sentinels too");
            Assert.AreEqual(0, Tokenizer.SentinelIndex(pair.Target[0]), "the target starts with <extra_id_0>");
            var filled = SentinelSpans.Fill(pair.Input[..^1], pair.Target[..^1], Tokenizer.SentinelIndex);
            CollectionAssert.AreEqual(tokens, filled, "the target holds exactly the dropped spans");
        }
    }
}
