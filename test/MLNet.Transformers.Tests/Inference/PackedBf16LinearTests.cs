using MLNet.Transformers.Inference;
using MLNet.Transformers.Models;
using MLNet.Transformers.Models.Bert;
using MLNet.Transformers.Tests.Checkpoints;
using MLNet.Transformers.Tests.Models;
using MLNet.Transformers.Tokenization;
using static TorchSharp.torch;

namespace MLNet.Transformers.Tests.Inference;

[TestClass]
public sealed class PackedBf16LinearTests
{
    private static string Fixture => BertParityTests.FixtureDirectory;

    private static (Tensor Ids, Tensor Types, Tensor Mask) Batch()
    {
        var batch = BertWordPieceTokenizer.FromDirectory(Fixture).EncodeBatch(ScoringPrecisionTests.Sentences, null, 64);
        var shape = new long[] { batch.BatchSize, batch.SequenceLength };
        return (tensor(batch.InputIds, shape), tensor(batch.TokenTypeIds, shape), tensor(batch.AttentionMask, shape));
    }

    private static void RequirePackedKernels()
    {
        if (!PackedBf16Linear.Supported) Assert.Inconclusive("The packed bf16 kernels run on x64 Linux with AVX512-BF16 or AMX only.");
    }

    [TestMethod]
    public void PackedLinears_AgreeWithThePlainBf16PathWithinBf16Rounding()
    {
        RequirePackedKernels();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (ids, types, mask) = Batch();
        using var f32 = BertCheckpoint.LoadEncoder(Fixture); f32.eval();
        using var bf16 = BertCheckpoint.LoadEncoder(Fixture); bf16.eval();
        ScoringPrecision.Apply(bf16, Precision.BFloat16);
        var reference = f32.forward(ids, types, mask).LastHiddenState;
        var packed = bf16.forward(ids, types, mask).LastHiddenState;
        PackedBf16Linear.Enabled = false;
        Tensor plain;
        try { plain = bf16.forward(ids, types, mask).LastHiddenState; }
        finally { PackedBf16Linear.Enabled = true; }
        double Error(Tensor a, Tensor b) => ((a - b).norm() / b.norm()).item<float>();
        Console.WriteLine($"vs fp32: packed {Error(packed, reference):E2}, plain {Error(plain, reference):E2}; packed vs plain {Error(packed, plain):E2}");
        Assert.AreEqual(ScalarType.Float32, packed.dtype);
        Assert.IsLessThan(1e-2, Error(packed, reference));
        Assert.IsLessThan(1e-2, Error(packed, plain));
        Assert.IsFalse(packed.eq(plain).all().item<bool>(), "the packed kernels must have run (fused GELU and bias round differently)");
        // Every linear of the encoder layers was packed (the pooler, called plainly, was not).
        Assert.HasCount(2 * 6, PackedBf16Linear.PackedWeights(bf16));
    }

    [TestMethod]
    public void WithGradientsEnabled_TheLinearsRunPlainAndNothingIsPacked()
    {
        RequirePackedKernels();
        using var scope = NewDisposeScope();
        var (ids, types, mask) = Batch();
        using var model = BertCheckpoint.LoadEncoder(Fixture); model.eval();
        ScoringPrecision.Apply(model, Precision.BFloat16);
        var withGrad = model.forward(ids, types, mask).LastHiddenState;   // the packed kernels have no autograd
        PackedBf16Linear.Enabled = false;
        Tensor plain;
        try { plain = model.forward(ids, types, mask).LastHiddenState; }
        finally { PackedBf16Linear.Enabled = true; }
        Assert.IsTrue(withGrad.eq(plain).all().item<bool>());
        Assert.IsEmpty(PackedBf16Linear.PackedWeights(model));
    }

    [TestMethod]
    public void PackedWeights_StayOutOfTheStateDict_SaveWritesTheHuggingFaceKeys_AndDisposeFreesThem()
    {
        RequirePackedKernels();
        using var dir = new TempDirectory();
        using var scope = NewDisposeScope();
        var (ids, types, mask) = Batch();
        var model = BertCheckpoint.LoadEncoder(Fixture);
        model.eval();
        var keys = model.state_dict().Keys.ToList();
        ScoringPrecision.Apply(model, Precision.BFloat16);
        Tensor before;
        using (no_grad()) before = model.forward(ids, types, mask).LastHiddenState;   // packs the encoder's linears
        CollectionAssert.AreEqual(keys, model.state_dict().Keys.ToList());
        BertCheckpoint.Save(model, model.Config, dir.Path, "BertModel");
        using (var reloaded = BertCheckpoint.LoadEncoder(dir.Path))
        {
            CollectionAssert.AreEquivalent(keys, reloaded.state_dict().Keys.ToList());
            Assert.IsTrue(reloaded.state_dict().Keys.Any(k => k.EndsWith("attention.self.query.weight")));
            reloaded.eval();
            ScoringPrecision.Apply(reloaded, Precision.BFloat16);
            using (no_grad())
                Assert.IsTrue(reloaded.forward(ids, types, mask).LastHiddenState.eq(before).all().item<bool>(), "a saved bf16-scored model reloads to the same scores");
        }
        var packed = PackedBf16Linear.PackedWeights(model);
        Assert.HasCount(2 * 6, packed);
        model.DisposeWithWeights();
        Assert.IsTrue(packed.All(t => t.IsInvalid), "the packed copies are freed with the model's weights");
    }
}
