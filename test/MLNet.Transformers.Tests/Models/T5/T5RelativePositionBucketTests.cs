using MLNet.Transformers.Models.T5;
using static TorchSharp.torch;

namespace MLNet.Transformers.Tests.Models.T5;

/// <summary>
/// Buckets worked out by hand from the formula (t5-small's 32 buckets, max distance 128):
/// bidirectional: 16 per direction, exact below 8, then 8 + floor(ln(d/8) / ln(128/8) · 8), capped at 15; keys after the query +16.
/// causal: exact below 16, then 16 + floor(ln(d/16) / ln(128/16) · 16), capped at 31; keys after the query → 0.
/// </summary>
[TestClass]
public sealed class T5RelativePositionBucketTests
{
    [TestMethod]
    public void Bidirectional_MatchesHandComputedBuckets()
    {
        // relative position = key − query. d=16: ln2/ln16·8 = 2 → 10; d=20: ln2.5/ln16·8 = 2.64 → 10; d=32: 4 → 12;
        // d=64: 6 → 14; d=127: ln15.875/ln16·8 = 7.98 → 15; d=128 and beyond: capped at 15.
        var positions = new long[] { 0, -1, -7, -8, -16, -20, -32, -64, -127, -128, -1000, 1, 7, 8, 16, 20, 64, 127, 200 };
        var expected = new long[] { 0, 1, 7, 8, 10, 10, 12, 14, 15, 15, 15, 17, 23, 24, 26, 26, 30, 31, 31 };
        CollectionAssert.AreEqual(expected, Buckets(positions, bidirectional: true, 32, 128));
    }

    [TestMethod]
    public void Causal_MatchesHandComputedBuckets()
    {
        // d=16: 16 + 0; d=32: ln2/ln8·16 = 5.33 → 21; d=64: 10.67 → 26; d=100: ln6.25/ln8·16 = 14.1 → 30;
        // d=127: 15.94 → 31; later keys (positive) all fall in bucket 0.
        var positions = new long[] { 0, -1, -15, -16, -32, -64, -100, -127, -128, -500, 1, 5, 300 };
        var expected = new long[] { 0, 1, 15, 16, 21, 26, 30, 31, 31, 31, 0, 0, 0 };
        CollectionAssert.AreEqual(expected, Buckets(positions, bidirectional: false, 32, 128));
    }

    [TestMethod]
    public void SmallTable_MatchesHandComputedBuckets()
    {
        // 8 buckets, max distance 16, bidirectional: 4 per direction, exact below 2, then 2 + floor(ln(d/2)/ln8 · 2).
        // d=4: 0.67 → 2; d=5: 0.88 → 2; d=8: 1.33 → 3; d=16: 2 → capped 3; key after query: +4.
        var positions = new long[] { 0, -1, -2, -4, -5, -8, -16, 1, 3, 9 };
        var expected = new long[] { 0, 1, 2, 2, 2, 3, 3, 5, 6, 7 };
        CollectionAssert.AreEqual(expected, Buckets(positions, bidirectional: true, 8, 16));
    }

    private static long[] Buckets(long[] positions, bool bidirectional, int buckets, int maxDistance)
    {
        using var scope = NewDisposeScope();
        return T5RelativePositionBucket.Compute(tensor(positions), bidirectional, buckets, maxDistance).data<long>().ToArray();
    }
}
