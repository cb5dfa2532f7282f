using MLNet.Transformers.Models.Common;
using static TorchSharp.torch;

namespace MLNet.Transformers.Tests.Models;

/// <summary>bf16 attention written out as batched matmuls (<see cref="SelfAttention"/>) against the fused kernel and fp32.</summary>
[TestClass]
public sealed class SelfAttentionTests
{
    private const long Batch = 3, Heads = 4, Tokens = 16, HeadSize = 8;
    private static readonly long[] RealTokens = [16, 11, 5];   // row 0 has no padding, rows 1-2 are padded

    private static (Tensor Q, Tensor K, Tensor V, Tensor Mask) Inputs(ScalarType dtype)
    {
        var generator = new TorchSharp.torch.Generator(11);
        Tensor Random() => (randn([Batch, Heads, Tokens, HeadSize], generator: generator) * 2).to(dtype);
        var mask = tensor(Enumerable.Range(0, (int)(Batch * Tokens)).Select(i => i % Tokens < RealTokens[i / Tokens]).ToArray(), [Batch, 1, 1, Tokens]);
        return (Random(), Random(), Random(), mask);
    }

    private static double RelativeError(Tensor actual, Tensor expected) =>
        ((actual.to(ScalarType.Float32) - expected.to(ScalarType.Float32)).norm() / expected.to(ScalarType.Float32).norm()).item<float>();

    [TestMethod]
    public void Bf16Inference_AgreesWithTheFusedKernelAndFp32WithinBf16Rounding()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (q, k, v, mask) = Inputs(ScalarType.BFloat16);
        var matmuls = SelfAttention.Attend(q, k, v, mask, dropout: 0, training: false);
        var fused = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask: mask);
        var fp32 = nn.functional.scaled_dot_product_attention(q.to(ScalarType.Float32), k.to(ScalarType.Float32), v.to(ScalarType.Float32), attn_mask: mask);
        double vsFp32 = RelativeError(matmuls, fp32), fusedVsFp32 = RelativeError(fused, fp32), vsFused = RelativeError(matmuls, fused);
        Console.WriteLine($"bf16 batched matmuls vs fp32 {vsFp32:E2}, fused bf16 vs fp32 {fusedVsFp32:E2}, the two bf16 paths {vsFused:E2}");
        Assert.AreEqual(ScalarType.BFloat16, matmuls.dtype);
        CollectionAssert.AreEqual(q.shape, matmuls.shape);
        Assert.IsLessThan(1e-2, vsFp32);
        Assert.IsLessThan(1e-2, vsFused);
        Assert.IsFalse(matmuls.eq(fused).all().item<bool>(), "bf16 inference must take the batched-matmul path, not the fused kernel");
    }

    [TestMethod]
    public void Bf16Inference_IgnoresPaddedKeysExactly()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (q, k, v, mask) = Inputs(ScalarType.BFloat16);
        // Garbage in the keys and values of padded positions must not change any output.
        var padded = mask.logical_not().view(Batch, 1, Tokens, 1);
        var k2 = k.masked_fill(padded, 1000);
        var v2 = v.masked_fill(padded, -1000);
        var clean = SelfAttention.Attend(q, k, v, mask, dropout: 0, training: false);
        var dirty = SelfAttention.Attend(q, k2, v2, mask, dropout: 0, training: false);
        Assert.IsTrue(clean.eq(dirty).all().item<bool>());
        // A row whose keys are all padding (never produced by a tokenizer, which always emits [CLS]) stays finite.
        var none = zeros([Batch, 1, 1, Tokens], dtype: ScalarType.Bool);
        Assert.IsTrue(SelfAttention.Attend(q, k, v, none, dropout: 0, training: false).isfinite().all().item<bool>());
    }

    [TestMethod]
    public void Fp32_KeepsTheFusedKernel_InInferenceAndTraining()
    {
        using var scope = NewDisposeScope();
        var (q, k, v, mask) = Inputs(ScalarType.Float32);
        using (no_grad())
            Assert.IsTrue(SelfAttention.Attend(q, k, v, mask, 0.1, training: false).eq(nn.functional.scaled_dot_product_attention(q, k, v, attn_mask: mask)).all().item<bool>());
        q.requires_grad_(true);
        manual_seed(5);
        var ours = SelfAttention.Attend(q, k, v, mask, 0.1, training: true);
        manual_seed(5);
        Assert.IsTrue(ours.eq(nn.functional.scaled_dot_product_attention(q, k, v, attn_mask: mask, p: 0.1)).all().item<bool>());
    }
}
