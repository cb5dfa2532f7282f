using static TorchSharp.torch;

namespace MLNet.Transformers.Models.T5;

/// <summary>
/// T5's bucketing of relative positions (HF <c>T5Attention._relative_position_bucket</c>, from Mesh TensorFlow):
/// small distances get a bucket each, larger ones share logarithmically wider buckets up to <c>max_distance</c>,
/// beyond which everything falls in the last bucket.
/// </summary>
internal static class T5RelativePositionBucket
{
    /// <summary>
    /// Maps <paramref name="relativePosition"/> (memory position − query position, int64) to buckets in [0, numBuckets).
    /// Bidirectional (encoder): half the buckets for keys before the query, half (offset by numBuckets/2) for keys after.
    /// Causal (decoder): only keys at or before the query are told apart; later keys all get bucket 0 (they are masked anyway).
    /// </summary>
    public static Tensor Compute(Tensor relativePosition, bool bidirectional, int numBuckets, int maxDistance)
    {
        using var scope = NewDisposeScope();
        var buckets = zeros_like(relativePosition);
        Tensor distance;
        if (bidirectional)
        {
            numBuckets /= 2;
            buckets = buckets + relativePosition.gt(0).to(ScalarType.Int64) * numBuckets;
            distance = relativePosition.abs();
        }
        else
        {
            distance = -minimum(relativePosition, zeros_like(relativePosition));
        }
        // Half of the buckets are exact distances 0 .. maxExact-1; the rest cover maxExact .. maxDistance logarithmically.
        int maxExact = numBuckets / 2;
        var isSmall = distance.lt(maxExact);
        var large = maxExact + (log(distance.to(ScalarType.Float32) / maxExact) / Math.Log((double)maxDistance / maxExact)
                                * (numBuckets - maxExact)).to(ScalarType.Int64);
        large = minimum(large, full_like(large, numBuckets - 1));
        return (buckets + where(isSmall, distance, large)).MoveToOuterDisposeScope();
    }
}
