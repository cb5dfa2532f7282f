using MLNet.Transformers.Training.Objectives.SpanCorruption;
using static TorchSharp.torch;

namespace MLNet.Transformers.Tests.Training.Objectives.SpanCorruption;

[TestClass]
public sealed class PrefixLanguageModelMaskTests
{
    [TestMethod]
    public void Mask_IsFullyVisibleOnThePrefixAndCausalAfter()
    {
        using var scope = NewDisposeScope();
        // 5 positions, prefix of 2: every query sees keys 0-1; query i ≥ 2 also sees keys 2..i.
        var expected = new[,]
        {
            { true, true, false, false, false },
            { true, true, false, false, false },
            { true, true, true,  false, false },
            { true, true, true,  true,  false },
            { true, true, true,  true,  true  },
        };
        var mask = PrefixLanguageModelMask.Create(5, 2);
        CollectionAssert.AreEqual(new long[] { 5, 5 }, mask.shape);
        for (int i = 0; i < 5; i++)
            for (int j = 0; j < 5; j++)
                Assert.AreEqual(expected[i, j], mask[i, j].item<bool>(), $"query {i}, key {j}");
        Assert.IsTrue(PrefixLanguageModelMask.Create(4, 0).eq(ones(4, 4, dtype: ScalarType.Bool).tril()).all().item<bool>(), "no prefix = causal");
        Assert.IsTrue(PrefixLanguageModelMask.Create(4, 4).all().item<bool>(), "all prefix = fully visible");
        var batch = PrefixLanguageModelMask.Create(tensor(new long[] { 2, 0 }), 5);
        Assert.IsTrue(batch[0].eq(mask).all().item<bool>() && batch[1].eq(PrefixLanguageModelMask.Create(5, 0)).all().item<bool>());
    }
}
