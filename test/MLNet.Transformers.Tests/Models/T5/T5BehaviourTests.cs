using TorchSharp;
using MLNet.Transformers.Models.T5;
using static TorchSharp.torch;

namespace MLNet.Transformers.Tests.Models.T5;

/// <summary>What the estimators will rely on: batched cached decoding with padding, training (gradients flow), bf16.</summary>
[TestClass]
public sealed class T5BehaviourTests
{
    [TestMethod]
    public void BatchedCachedGreedy_WithPaddedSources_EqualsEachRowAlone()
    {
        var expected = T5Fixture.Load();
        using var model = T5Checkpoint.Load(T5Fixture.Directory);
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        // Row 0 is padded to 26 positions (11 real); the mask must keep its pads out of cross-attention.
        var encoded = model.Encode(expected.InputIds, expected.AttentionMask);
        using var cache = model.NewCache();
        var next = zeros(2, 1, dtype: ScalarType.Int64);
        var batched = new List<long>[] { new(), new() };
        var stepLogits = new List<Tensor>();
        for (int step = 0; step < 6; step++)
        {
            var logits = model.Decode(next, encoded, expected.AttentionMask, cache)[.., -1]; // (2, V)
            stepLogits.Add(logits);
            next = logits.argmax(-1).unsqueeze(1);
            for (int row = 0; row < 2; row++) batched[row].Add(next[row, 0].item<long>());
        }
        for (int row = 0; row < 2; row++)
        {
            int real = (int)expected.AttentionMask[row].sum().item<long>();
            var ids = expected.InputIds[row, ..real].data<long>().ToArray();
            var alone = T5ParityTests.GreedyFullRecompute(model, ids, 6);
            CollectionAssert.AreEqual(alone.TakeWhile(t => t != 1).ToArray(), batched[row].Take(alone.TakeWhile(t => t != 1).Count()).ToArray(), $"row {row}");
            // And the first step's logits agree with the unpadded row to 1e-4.
            var single = model.Decode(zeros(1, 1, dtype: ScalarType.Int64), model.Encode(tensor(ids).unsqueeze(0), ones(1, real, dtype: ScalarType.Int64)), ones(1, real, dtype: ScalarType.Int64));
            T5Fixture.AssertClose(single[0, -1], stepLogits[0][row], $"row {row} first step");
        }
    }

    [TestMethod]
    public void TinyModel_FitsAFixedBatch_LossFallsClearly()
    {
        // Gradients must reach every module (shared table, relative bias, both stacks): memorising one batch of
        // text-to-text pairs (target = source reversed) drives the teacher-forced loss down quickly.
        manual_seed(1);
        var config = new T5Config { VocabSize = 40, DModel = 32, DKv = 8, DFf = 64, NumLayers = 2, NumHeads = 4, RelativeAttentionNumBuckets = 8, RelativeAttentionMaxDistance = 16, DropoutRate = 0.0 };
        using var model = new T5ForConditionalGeneration(config);
        T5Initializer.Initialize(model);
        model.train();
        var random = new Random(2);
        var source = Enumerable.Range(0, 4 * 6).Select(_ => (long)random.Next(3, 40)).ToArray();
        using var input = tensor(source).reshape(4, 6);
        using var labels = cat(new[] { input.flip(1), full(4, 1, config.EosTokenId, dtype: ScalarType.Int64) }, 1);
        var bias = model.state_dict()["encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"];
        using var biasBefore = bias.clone();
        using var optimizer = optim.Adam(model.parameters(), lr: 1e-2);
        var losses = new List<double>();
        for (int step = 0; step < 40; step++)
        {
            using var scope = NewDisposeScope();
            var loss = T5ForConditionalGeneration.Loss(model.forward(input, ones_like(input), model.ShiftRight(labels)), labels);
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            losses.Add(loss.item<float>());
        }
        Assert.IsTrue(losses[^1] < losses[0] * 0.3, $"loss {losses[0]:F3} → {losses[^1]:F3}");
        Assert.IsFalse(bias.eq(biasBefore).all().item<bool>(), "the relative-position table is trained");
    }

    [TestMethod]
    public void Bf16Model_RunsAndStaysCloseToFp32()
    {
        var expected = T5Fixture.Load();
        using var model = T5Checkpoint.Load(T5Fixture.Directory);
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var fp32 = model.forward(expected.InputIds, expected.AttentionMask, expected.DecoderInputIds);
        model.to(ScalarType.BFloat16);
        var bf16 = model.forward(expected.InputIds, expected.AttentionMask, expected.DecoderInputIds);
        Assert.AreEqual(ScalarType.BFloat16, bf16.dtype);
        Assert.IsFalse(bf16.isnan().any().item<bool>());
        var relative = (bf16.to(ScalarType.Float32) - fp32).abs().mean().item<float>() / fp32.abs().mean().item<float>();
        Assert.IsTrue(relative < 0.05, $"mean relative difference {relative:F4}");
    }
}
