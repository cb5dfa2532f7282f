using MLNet.Transformers.Generation;
using MLNet.Transformers.Models.Gpt2;
using MLNet.Transformers.Tests.Models;
using static TorchSharp.torch;

namespace MLNet.Transformers.Tests.Generation;

/// <summary>The shared generation loop and the decoder's causal mask / KV cache, on the fixture and on tiny random models.</summary>
[TestClass]
public sealed class TextGeneratorTests
{
    /// <summary>Wraps a decoder and records how many positions each call computed.</summary>
    private sealed class CountingDecoder(ICausalDecoder inner) : ICausalDecoder
    {
        public List<long> PositionsPerCall { get; } = [];
        public List<float[]> Logits { get; } = [];
        public int VocabularySize => inner.VocabularySize;
        public IDecoderCache CreateCache() => inner.CreateCache();
        public Tensor NextTokenLogits(Tensor inputIds, Tensor attentionMask, IDecoderCache? cache)
        {
            PositionsPerCall.Add(inputIds.shape[1]);
            var logits = inner.NextTokenLogits(inputIds, attentionMask, cache);
            Logits.Add(logits[0].data<float>().ToArray());
            return logits;
        }
    }

    internal static Gpt2LMHeadModel TinyModel(string positions = "learned", int? kvHeads = null, int seed = 3)
    {
        manual_seed(seed);
        var config = new Gpt2Config { VocabSize = 60, NPositions = 48, NEmbd = 32, NLayer = 2, NHead = 4, NumKeyValueHeads = kvHeads,
            PositionEmbeddingType = positions == "learned" ? null : positions, EosTokenId = 59, BosTokenId = 59 };
        var model = new Gpt2LMHeadModel(config);
        Gpt2Initializer.Initialize(model, config);
        using (no_grad()) foreach (var p in model.parameters()) p.mul_(10);   // large weights: sharp, position-sensitive logits
        model.eval();
        return model;
    }

    [TestMethod]
    public void Cache_EachStepRunsOneNewPosition_AndGivesTheSameLogitsAsWithout()
    {
        using var model = Gpt2Checkpoint.Load(Gpt2Fixture.Directory);
        model.eval();
        int[] prompt = [464, 2068, 7586, 21831];
        var with = new CountingDecoder(model);
        var without = new CountingDecoder(model);
        var options = new TextGenerationOptions { MaxNewTokens = 8, EosTokenId = -1 };
        TextGenerator.Generate(with, [prompt], options, null, 50256, null, null);
        TextGenerator.Generate(without, [prompt], new TextGenerationOptions { MaxNewTokens = 8, UseCache = false }, null, 50256, null, null);
        CollectionAssert.AreEqual(new long[] { 4, 1, 1, 1, 1, 1, 1, 1 }, with.PositionsPerCall);
        CollectionAssert.AreEqual(new long[] { 4, 5, 6, 7, 8, 9, 10, 11 }, without.PositionsPerCall);
        for (int i = 0; i < 8; i++)
            Assert.IsLessThan(1e-4, with.Logits[i].Zip(without.Logits[i], (a, b) => Math.Abs(a - b)).Max(), $"step {i}");
    }

    [TestMethod]
    [DataRow("learned")]
    [DataRow("sinusoidal")]
    [DataRow("rotary")]
    public void Causal_ChangingAFutureTokenNeverChangesEarlierLogits(string positions)
    {
        using var model = TinyModel(positions);
        using var scope = NewDisposeScope();
        var a = tensor(new long[] { 1, 5, 9, 13, 17, 21, 25, 29 }).view(1, -1);
        var b = a.clone(); b[0, 5] = tensor(40L);
        var mask = ones(1, 8, ScalarType.Int64);
        var la = model.forward(a, mask); var lb = model.forward(b, mask);
        Assert.AreEqual(0.0, (la[.., ..5] - lb[.., ..5]).abs().max().item<float>(), 0.0, "positions before the change");
        Assert.IsGreaterThan(1e-3, (la[.., 5..] - lb[.., 5..]).abs().max().item<float>(), "the changed position itself does change");
    }

    [TestMethod]
    [DataRow("learned", null)]
    [DataRow("rotary", null)]
    [DataRow("rotary", 1)]
    [DataRow("sinusoidal", 2)]
    public void Batched_LeftPaddedPromptsGiveTheSameTokensAsOneAtATime_WithAndWithoutCache(string positions, int? kvHeads)
    {
        using var model = TinyModel(positions, kvHeads);
        int[][] prompts = [[3, 4, 5, 6, 7, 8, 9], [10, 11], [12, 13, 14, 15]];
        var options = new TextGenerationOptions { MaxNewTokens = 10, EosTokenId = -1 };
        var alone = prompts.Select(p => TextGenerator.Generate(model, [p], options, null, 0, null, null)[0]).ToArray();
        var batched = TextGenerator.Generate(model, prompts, options, null, 0, null, null);
        options.UseCache = false;
        var uncached = TextGenerator.Generate(model, prompts, options, null, 0, null, null);
        for (int i = 0; i < prompts.Length; i++)
        {
            CollectionAssert.AreEqual(alone[i], batched[i], $"prompt {i} in a batch");
            CollectionAssert.AreEqual(alone[i], uncached[i], $"prompt {i} without cache");
        }
        Assert.IsGreaterThan(2, alone.SelectMany(t => t).Distinct().Count(), "a degenerate model would prove nothing");
    }

    [TestMethod]
    public void Rope_ScoreDependsOnlyOnTheDistance()
    {
        using var scope = NewDisposeScope();
        manual_seed(1);
        var q = randn(1, 1, 1, 16); var k = randn(1, 1, 1, 16);
        double Score(int m, int n)
        {
            var (cm, sm) = RotaryEmbedding.Tables(tensor(new long[] { m }).view(1, 1), 16, 10000);
            var (cn, sn) = RotaryEmbedding.Tables(tensor(new long[] { n }).view(1, 1), 16, 10000);
            return (RotaryEmbedding.Apply(q, cm, sm) * RotaryEmbedding.Apply(k, cn, sn)).sum().item<float>();
        }
        foreach (var (m, n) in new[] { (5, 2), (13, 10), (40, 37), (103, 100) })
            Assert.AreEqual(Score(3, 0), Score(m, n), 1e-4, $"q_{m}·k_{n} vs q_3·k_0");
        Assert.AreNotEqual(Score(3, 0), Score(4, 0), 1e-3, "a different distance gives a different score");
    }

    [TestMethod]
    public void Sampling_IsReproducibleForASeed_AndDiffersAcrossSeeds()
    {
        using var model = TinyModel();
        int[][] prompts = [[3, 4, 5], [6, 7]];
        var options = new TextGenerationOptions { MaxNewTokens = 12, DoSample = true, Temperature = 1.5, TopK = 0, EosTokenId = -1 };
        int[][] Run(int seed) => TextGenerator.Generate(model, prompts, options, null, 0, null, prompts.Select(p => TextGenerator.RowSeed(seed, string.Join(",", p))).ToArray());
        var first = Run(7);
        CollectionAssert.AreEqual(first[0], Run(7)[0]);
        CollectionAssert.AreEqual(first[1], Run(7)[1]);
        Assert.IsFalse(first[0].SequenceEqual(Run(8)[0]) && first[1].SequenceEqual(Run(8)[1]));
        Assert.AreEqual(TextGenerator.RowSeed(7, "abc"), TextGenerator.RowSeed(7, "abc"));
        Assert.AreEqual(6684301828024710214L, TextGenerator.RowSeed(7, "abc"), "FNV-1a: a fixed value, the same in every process");
    }

    [TestMethod]
    public void TopKOne_SamplingEqualsGreedy_AndEosAndStopStringsEndARow()
    {
        using var model = TinyModel();
        int[] prompt = [3, 4, 5];
        var greedy = TextGenerator.Generate(model, [prompt], new TextGenerationOptions { MaxNewTokens = 10, EosTokenId = -1 }, null, 0, null, null)[0];
        var sampled = TextGenerator.Generate(model, [prompt], new TextGenerationOptions { MaxNewTokens = 10, DoSample = true, TopK = 1 }, null, 0, null, [1L])[0];
        CollectionAssert.AreEqual(greedy, sampled);
        var eos = greedy[4];
        var stopped = TextGenerator.Generate(model, [prompt], new TextGenerationOptions { MaxNewTokens = 10 }, eos, 0, null, null)[0];
        CollectionAssert.AreEqual(greedy.Take(Array.IndexOf(greedy, eos) + 1).ToArray(), stopped);
        var byString = TextGenerator.Generate(model, [prompt], new TextGenerationOptions { MaxNewTokens = 10 }, null, 0, ids => ids.Count >= 3, null)[0];
        Assert.HasCount(3, byString);
    }

    [TestMethod]
    public void BeamSearch_OneBeamEqualsGreedy_AndBeamsFindAtLeastAsLikelyASequence()
    {
        using var model = TinyModel(seed: 5);
        int[] prompt = [3, 4, 5];
        var greedy = TextGenerator.Generate(model, [prompt], new TextGenerationOptions { MaxNewTokens = 6, EosTokenId = -1 }, null, 0, null, null)[0];
        var beams = TextGenerator.Generate(model, [prompt], new TextGenerationOptions { MaxNewTokens = 6, NumBeams = 4, LengthPenalty = 0 }, null, 0, null, null)[0];
        var beamsUncached = TextGenerator.Generate(model, [prompt], new TextGenerationOptions { MaxNewTokens = 6, NumBeams = 4, LengthPenalty = 0, UseCache = false }, null, 0, null, null)[0];
        CollectionAssert.AreEqual(beams, beamsUncached);
        Assert.IsGreaterThanOrEqualTo(LogProbability(model, prompt, greedy) - 1e-4, LogProbability(model, prompt, beams));
    }

    private static double LogProbability(Gpt2LMHeadModel model, int[] prompt, int[] continuation)
    {
        using var scope = NewDisposeScope();
        var ids = prompt.Concat(continuation).Select(i => (long)i).ToArray();
        var logProbs = model.forward(tensor(ids).view(1, -1), ones(1, ids.Length, ScalarType.Int64)).log_softmax(-1);
        double sum = 0;
        for (int i = prompt.Length; i < ids.Length; i++) sum += logProbs[0, i - 1, ids[i]].item<float>();
        return sum;
    }
}
