using MLNet.Transformers.Models.Common;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.T5;

/// <summary>
/// Multi-head attention as HF <c>T5Attention</c>: q/k/v/o projections without biases, scores NOT scaled by 1/sqrt(d_kv)
/// (Mesh TF folds that into the initialisation), an additive position bias (relative-position bias plus mask) instead of
/// position embeddings. Only the first block of each stack owns <c>relative_attention_bias</c>; its bias is reused by all.
/// Keys/values are projected separately (<see cref="ProjectKeysValues"/>) so a decoder can cache them.
/// </summary>
internal sealed class T5Attention : nn.Module
{
    private readonly Linear q;
    private readonly Linear k;
    private readonly Linear v;
    private readonly Linear o;
    private readonly Embedding? relative_attention_bias;
    private readonly int numHeads;
    private readonly int dKv;
    private readonly int numBuckets;
    private readonly int maxDistance;
    private readonly double dropout;

    /// <summary>Creates the projections; <paramref name="hasRelativeAttentionBias"/> only for block 0's self-attention.</summary>
    public T5Attention(T5Config config, bool hasRelativeAttentionBias) : base(nameof(T5Attention))
    {
        q = nn.Linear(config.DModel, config.InnerDim, hasBias: false);
        k = nn.Linear(config.DModel, config.InnerDim, hasBias: false);
        v = nn.Linear(config.DModel, config.InnerDim, hasBias: false);
        o = nn.Linear(config.InnerDim, config.DModel, hasBias: false);
        if (hasRelativeAttentionBias) relative_attention_bias = nn.Embedding(config.RelativeAttentionNumBuckets, config.NumHeads);
        numHeads = config.NumHeads;
        dKv = config.DKv;
        numBuckets = config.RelativeAttentionNumBuckets;
        maxDistance = config.RelativeAttentionMaxDistance;
        dropout = config.DropoutRate;
        RegisterComponents();
    }

    /// <summary>Whether this attention owns the stack's relative-position table.</summary>
    public bool HasRelativeAttentionBias => relative_attention_bias is not null;

    /// <summary>
    /// The learned bias (1, nh, Tq, Tk) for queries at absolute positions queryStart .. queryStart+Tq-1 and keys at 0 .. Tk-1
    /// (queryStart &gt; 0 when a decoder cache holds the earlier positions).
    /// </summary>
    public Tensor ComputeBias(long queryStart, long queryLength, long keyLength, bool bidirectional)
    {
        if (relative_attention_bias is null) throw new InvalidOperationException("Only the first block's attention has a relative_attention_bias.");
        using var scope = NewDisposeScope();
        var device = relative_attention_bias.weight!.device;
        var context = arange(queryStart, queryStart + queryLength, dtype: ScalarType.Int64, device: device).unsqueeze(1); // (Tq, 1)
        var memory = arange(keyLength, dtype: ScalarType.Int64, device: device).unsqueeze(0);                               // (1, Tk)
        var buckets = T5RelativePositionBucket.Compute(memory - context, bidirectional, numBuckets, maxDistance);          // (Tq, Tk)
        var values = relative_attention_bias.call(buckets);                                                                // (Tq, Tk, nh)
        return values.permute(2, 0, 1).unsqueeze(0).MoveToOuterDisposeScope();                                             // (1, nh, Tq, Tk)
    }

    /// <summary>k(source) and v(source), split into heads: (B, nh, S, d_kv) each.</summary>
    public (Tensor Keys, Tensor Values) ProjectKeysValues(Tensor source)
    {
        using var scope = NewDisposeScope();
        var keys = SplitHeads(k.call(source));
        var values = SplitHeads(v.call(source));
        return (keys.MoveToOuterDisposeScope(), values.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Attends queries from <paramref name="hidden"/> (B, T, d_model) to <paramref name="keys"/>/<paramref name="values"/>
    /// (B, nh, S, d_kv) with the additive <paramref name="positionBias"/> (broadcastable to (B, nh, T, S)); returns (B, T, d_model).
    /// </summary>
    public Tensor forward(Tensor hidden, Tensor keys, Tensor values, Tensor positionBias)
    {
        using var scope = NewDisposeScope();
        long b = hidden.shape[0], t = hidden.shape[1];
        var queries = SplitHeads(q.call(hidden));                      // (B, nh, T, d_kv)
        var scores = matmul(queries, keys.transpose(2, 3)) + positionBias; // (B, nh, T, S): no 1/sqrt(d_kv), as T5
        var weights = scores.to(ScalarType.Float32).softmax(-1).to(scores.dtype);
        weights = MixedPrecisionDropout.Apply(weights, dropout, training);
        var context = matmul(weights, values).transpose(1, 2).reshape(b, t, numHeads * dKv); // (B, T, inner)
        return o.call(context).MoveToOuterDisposeScope();
    }

    private Tensor SplitHeads(Tensor x) => x.view(x.shape[0], x.shape[1], numHeads, dKv).transpose(1, 2);
}
