using MLNet.Transformers.Models.Common;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Transformers.Tests.Models;

/// <summary>
/// bf16 training's dropout (counter-hashed masks, <see cref="DropoutMask"/>) and its attention written out
/// (<see cref="SelfAttention"/>): the drop rate, the kept value libtorch uses for bf16, reproducibility from the seed and
/// independence from the thread count, fp32 left to libtorch bit for bit, and the attention's math against an fp32 reference.
/// </summary>
[TestClass]
public sealed class MixedPrecisionDropoutTests
{
    private static bool Same(Tensor a, Tensor b) =>
        a.dtype == b.dtype && a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    private static float[] Floats(Tensor t) => t.to(ScalarType.Float32).data<float>().ToArray();

    [TestMethod]
    [DataRow(0.1)]
    [DataRow(0.5)]
    public void Bf16Mask_DropsAtRateP_AndKeepsTheBf16ValueLibtorchScalesBy(double p)
    {
        manual_seed(1);
        using var like = zeros(1000, 1003, dtype: ScalarType.BFloat16);
        using var mask = DropoutMask.Bf16(like, p);
        var values = Floats(mask);
        // libtorch's own bf16 dropout multiplies by a bf16 noise tensor holding 1/(1-p): the same rounding.
        float kept;
        using (var expected = tensor(1.0 / (1.0 - p), ScalarType.Float32).to(ScalarType.BFloat16)) kept = expected.to(ScalarType.Float32).item<float>();
        Assert.IsTrue(values.All(v => v == 0 || v == kept), $"every mask value must be 0 or {kept}");
        double dropped = values.Count(v => v == 0) / (double)values.Length;
        // 1,003,000 draws: the binomial standard deviation is ≤ 0.0005; allow 6 of them.
        Assert.AreEqual(p, dropped, 0.003, $"drop rate for p = {p}");
        CollectionAssert.AreEqual(new long[] { 1000, 1003 }, mask.shape);
        Assert.AreEqual(ScalarType.BFloat16, mask.dtype);
    }

    [TestMethod]
    public void Bf16Mask_FollowsTheSeed_AndNotTheThreadCount()
    {
        int threads = get_num_threads();
        using var like = zeros(3, 70001, dtype: ScalarType.BFloat16);   // crosses chunk boundaries; odd tail for the vector loop
        try
        {
            set_num_threads(1);
            manual_seed(7);
            using var first = DropoutMask.Bf16(like, 0.1);
            using var second = DropoutMask.Bf16(like, 0.1);
            set_num_threads(2);
            manual_seed(7);
            using var again = DropoutMask.Bf16(like, 0.1);
            manual_seed(8);
            using var otherSeed = DropoutMask.Bf16(like, 0.1);
            Assert.IsTrue(Same(first, again), "the same seed must give the same mask on 1 and 2 threads");
            Assert.IsFalse(Same(first, second), "consecutive calls must draw different masks");
            Assert.IsFalse(Same(first, otherSeed), "another seed must give another mask");
        }
        finally { set_num_threads(threads); }
    }

    [TestMethod]
    public void VectorLoop_AgreesWithTheScalarHash_OnEveryElement()
    {
        const int count = 16 * 5 + 11;
        const double p = 0.3;
        var mask = new ushort[count];
        DropoutMask.Fill(mask, p, 0x12345678u, 0x9ABCDEF0u);
        uint threshold = DropoutMask.Threshold(p);
        ushort kept = DropoutMask.KeptValueBits(p);
        for (uint i = 0; i < count; i++)
        {
            uint h = DropoutMask.Hash(i / 2, 0x12345678u, 0x9ABCDEF0u);
            Assert.AreEqual(((i & 1) == 0 ? h & 0xFFFF : h >> 16) >= threshold ? kept : (ushort)0, mask[i], $"element {i}");
        }
    }

    [TestMethod]
    public void Fp32_GoesThroughLibtorchDropout_BitForBitAsNnDropout()
    {
        using var x = ones(64, 64);
        using var dropout = new MixedPrecisionDropout(0.1);
        dropout.train();
        manual_seed(3);
        using var ours = dropout.call(x);
        using var module = nn.Dropout(0.1);   // what the models held before
        module.train();
        manual_seed(3);
        using var libtorch = module.call(x);
        Assert.IsTrue(Same(ours, libtorch));
        dropout.eval();
        using var evaluated = dropout.call(x);
        Assert.IsTrue(Same(evaluated, x), "identity outside training");
    }

    [TestMethod]
    public void Bf16_GradientIsTheMask()
    {
        manual_seed(4);
        using var x = randn(8, 40).to(ScalarType.BFloat16).requires_grad_();
        using var dropout = new MixedPrecisionDropout(0.2);
        dropout.train();
        manual_seed(5);
        using var y = dropout.call(x);
        y.sum().backward();
        manual_seed(5);
        using var mask = DropoutMask.Bf16(x, 0.2);
        Assert.IsTrue(Same(x.grad!, mask), "d(sum(dropout(x)))/dx must be the mask");
        using var expected = x.detach() * mask;
        Assert.IsTrue(Same(y.detach(), expected), "the output must be x times the mask");
    }

    [TestMethod]
    public void Bf16TrainingAttention_IsSoftmaxDropoutMatmul_WithPaddingIgnored()
    {
        manual_seed(11);
        long b = 2, heads = 3, t = 5, d = 8;
        using var q = randn(b, heads, t, d).to(ScalarType.BFloat16);
        using var k = randn(b, heads, t, d).to(ScalarType.BFloat16);
        using var v = randn(b, heads, t, d).to(ScalarType.BFloat16);
        using var attend = tensor(new[] { true, true, true, true, true, true, true, true, false, false }).view(b, 1, 1, t);
        manual_seed(12);
        using var ours = SelfAttention.Attend(q, k, v, attend, 0.25, training: true);

        // The same in fp32 from the same bf16 inputs, with the mask the call drew (same seed, same draw order).
        manual_seed(12);
        using var scores = matmul(q.to(ScalarType.Float32), k.to(ScalarType.Float32).transpose(-2, -1)) / Math.Sqrt(d);
        using var probabilities = scores.masked_fill(attend.logical_not(), double.NegativeInfinity).softmax(-1);
        using var mask = DropoutMask.Bf16(probabilities, 0.25);
        using var expected = matmul(probabilities * mask.to(ScalarType.Float32), v.to(ScalarType.Float32));
        var o = Floats(ours);
        var e = Floats(expected);
        for (int i = 0; i < o.Length; i++)
            Assert.AreEqual(e[i], o[i], 0.03 + 0.02 * Math.Abs(e[i]), $"element {i} (bf16 rounding of probabilities and output)");

        // Keys masked out (the second sequence's last two) must not matter.
        using var changed = v.clone();
        changed[TensorIndex.Single(1), TensorIndex.Colon, TensorIndex.Slice(3, 5)] = randn(heads, 2, d).to(ScalarType.BFloat16);
        manual_seed(12);
        using var again = SelfAttention.Attend(q, k, changed, attend, 0.25, training: true);
        Assert.IsTrue(Same(again, ours), "padding keys must get zero weight");
    }

    [TestMethod]
    public void Attention_OutsideBf16Training_IsLibtorchSdpa()
    {
        manual_seed(13);
        using var q = randn(1, 2, 4, 8);
        using var k = randn(1, 2, 4, 8);
        using var v = randn(1, 2, 4, 8);
        using var attend = ones(1, 1, 1, 4, dtype: ScalarType.Bool);
        manual_seed(14);
        using var ours = SelfAttention.Attend(q, k, v, attend, 0.1, training: true);
        manual_seed(14);
        using var sdpa = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask: attend, p: 0.1);
        Assert.IsTrue(Same(ours, sdpa), "fp32 training keeps SDPA's dropout stream");
    }
}
