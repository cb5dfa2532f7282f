using MLNet.Transformers.Models.T5;
using static TorchSharp.torch;

namespace MLNet.Transformers.Tests.Models.T5;

/// <summary>
/// The fixture is a random T5ForConditionalGeneration in real HF layout with outputs computed by HF's modeling_t5 math
/// (TestData/t5-tiny-random/README.md): encoder output, teacher-forced logits and greedy tokens must match to 1e-4.
/// </summary>
[TestClass]
public sealed class T5ParityTests
{
    [TestMethod]
    public void Encoder_MatchesHuggingFace()
    {
        var expected = T5Fixture.Load();
        using var model = T5Checkpoint.Load(T5Fixture.Directory);
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var hidden = model.Encode(expected.InputIds, expected.AttentionMask);
        T5Fixture.AssertClose(expected.EncoderLastHiddenState, hidden, "encoder_last_hidden_state");
    }

    [TestMethod]
    public void TeacherForcedLogits_MatchHuggingFace()
    {
        var expected = T5Fixture.Load();
        using var model = T5Checkpoint.Load(T5Fixture.Directory);
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var logits = model.forward(expected.InputIds, expected.AttentionMask, expected.DecoderInputIds);
        Assert.AreEqual(32128L, logits.shape[2]);
        for (int row = 0; row < expected.LogitPositions.Length; row++)
            for (int j = 0; j < expected.LogitPositions[row].Length; j++)
            {
                int p = expected.LogitPositions[row][j];
                T5Fixture.AssertClose(expected.Logits[row][j], logits[row, p], $"logits row {row} position {p}");
            }
    }

    [TestMethod]
    public void ShiftRight_BuildsTheFixtureDecoderInputs()
    {
        var expected = T5Fixture.Load();
        using var model = T5Checkpoint.Load(T5Fixture.Directory);
        using var scope = NewDisposeScope();
        // The fixture shifts each row's labels on their own ([0] + labels[:-1]) and pads the rest with 0.
        for (int row = 0; row < expected.Labels.Length; row++)
        {
            var labels = tensor(expected.Labels[row]).unsqueeze(0);
            var shifted = model.ShiftRight(labels);
            Assert.IsTrue(shifted[0].eq(expected.DecoderInputIds[row, ..expected.Labels[row].Length]).all().item<bool>(), $"row {row}");
        }
        // Ignored label positions (-100, as HF's collators pad labels) become the pad id in the decoder input.
        var padded = model.ShiftRight(tensor(new long[] { 37, 629, 1, -100, -100 }).unsqueeze(0));
        CollectionAssert.AreEqual(new long[] { 0, 37, 629, 1, 0 }, padded[0].data<long>().ToArray());
    }

    [TestMethod]
    public void Greedy_WithoutCache_MatchesHuggingFace()
    {
        var expected = T5Fixture.Load();
        using var model = T5Checkpoint.Load(T5Fixture.Directory);
        CollectionAssert.AreEqual(expected.GreedyNewTokenIds, GreedyFullRecompute(model, expected.GreedyInputIds, expected.GreedyNewTokenIds.Length));
    }

    [TestMethod]
    public void Greedy_WithCache_MatchesHuggingFaceAndTheUncachedLogits()
    {
        var expected = T5Fixture.Load();
        using var model = T5Checkpoint.Load(T5Fixture.Directory);
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var input = tensor(expected.GreedyInputIds).unsqueeze(0);
        var mask = ones_like(input);
        var encoded = model.Encode(input, mask);
        using var cache = model.NewCache();
        var generated = new List<long> { model.Config.DecoderStartTokenId };
        for (int step = 0; step < expected.GreedyNewTokenIds.Length; step++)
        {
            using var stepScope = NewDisposeScope();
            var last = tensor(new[] { generated[^1] }).unsqueeze(0);
            var cachedLogits = model.Decode(last, encoded, mask, cache)[0, -1];
            var fullLogits = model.Decode(tensor(generated.ToArray()).unsqueeze(0), encoded, mask)[0, -1];
            T5Fixture.AssertClose(fullLogits, cachedLogits, $"step {step}: cached vs full logits");
            Assert.AreEqual(step + 1, cache.Length);
            generated.Add(cachedLogits.argmax().item<long>());
            if (generated[^1] == model.Config.EosTokenId) break;
        }
        CollectionAssert.AreEqual(expected.GreedyNewTokenIds, generated.Skip(1).ToArray());
        Assert.IsTrue(cache.HasEncoderKeysValues);
    }

    [TestMethod]
    public void Cache_ReorderKeepsTheChosenRows()
    {
        var expected = T5Fixture.Load();
        using var model = T5Checkpoint.Load(T5Fixture.Directory);
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var encoded = model.Encode(expected.InputIds, expected.AttentionMask);
        using var cache = model.NewCache();
        var start = zeros(2, 1, dtype: ScalarType.Int64);
        model.Decode(start, encoded, expected.AttentionMask, cache);
        cache.Reorder(tensor(new long[] { 1, 1 }));  // both rows now continue row 1
        var next = tensor(new long[] { 37, 37 }).unsqueeze(1);
        var reordered = model.Decode(next, encoded[TensorIndex.Tensor(tensor(new long[] { 1, 1 }))], expected.AttentionMask[TensorIndex.Tensor(tensor(new long[] { 1, 1 }))], cache);
        var direct = model.Decode(tensor(new long[] { 0, 37 }).unsqueeze(0), encoded[1..2], expected.AttentionMask[1..2]);
        T5Fixture.AssertClose(direct[0, -1], reordered[0, -1], "row 0 after reorder");
        T5Fixture.AssertClose(direct[0, -1], reordered[1, -1], "row 1 after reorder");
    }

    /// <summary>Greedy decoding the slow way: the whole decoder input re-run each step (no cache).</summary>
    internal static long[] GreedyFullRecompute(T5ForConditionalGeneration model, long[] inputIds, int maxNewTokens)
    {
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var input = tensor(inputIds).unsqueeze(0);
        var mask = ones_like(input);
        var encoded = model.Encode(input, mask);
        var generated = new List<long> { model.Config.DecoderStartTokenId };
        for (int step = 0; step < maxNewTokens; step++)
        {
            var logits = model.Decode(tensor(generated.ToArray()).unsqueeze(0), encoded, mask);
            generated.Add(logits[0, -1].argmax().item<long>());
            if (generated[^1] == model.Config.EosTokenId) break;
        }
        return generated.Skip(1).ToArray();
    }
}
