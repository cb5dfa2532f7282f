using MLNet.Transformers.Models.Common;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.Gpt2;

/// <summary>
/// Causal multi-head self-attention (HF <c>GPT2Attention</c>): <c>c_attn</c> projects to q, k, v at once, scores are
/// scaled by 1/√head_dim, <c>c_proj</c> mixes the heads. Extensions for models trained from scratch: fewer key/value heads
/// (grouped-query / multi-query attention; <c>c_attn</c> then outputs n_embd + 2·n_kv_head·head_dim) and RoPE on q and k.
/// </summary>
internal sealed class Gpt2Attention : nn.Module
{
    private readonly Conv1D c_attn;
    private readonly Conv1D c_proj;
    private readonly MixedPrecisionDropout resid_dropout;
    private readonly int numHeads, numKeyValueHeads, headDim;
    private readonly double attentionDropout;

    /// <summary>Creates the projections for <paramref name="config"/>.</summary>
    public Gpt2Attention(Gpt2Config config) : base(nameof(Gpt2Attention))
    {
        numHeads = config.NHead;
        numKeyValueHeads = config.KeyValueHeads;
        headDim = config.HeadDim;
        c_attn = new Conv1D(config.NEmbd, config.NEmbd + 2 * numKeyValueHeads * headDim);
        c_proj = new Conv1D(config.NEmbd, config.NEmbd);
        resid_dropout = new MixedPrecisionDropout(config.ResidPdrop);
        attentionDropout = config.AttnPdrop;
        RegisterComponents();
    }

    /// <summary>
    /// Attends the new positions <paramref name="hidden"/> (B, T, C) over the cached ones and themselves.
    /// <paramref name="attend"/> is boolean (B, 1, T, S), true where a query may look at a key (causal and not padding);
    /// <paramref name="rotary"/> holds RoPE tables for the new positions, or null.
    /// </summary>
    public Tensor forward(Tensor hidden, Tensor attend, (Tensor Cos, Tensor Sin)? rotary, KeyValueCache? cache, int layer)
    {
        using var scope = NewDisposeScope();
        long b = hidden.shape[0], t = hidden.shape[1];
        int kvWidth = numKeyValueHeads * headDim;
        var qkv = c_attn.call(hidden).split([numHeads * headDim, kvWidth, kvWidth], dim: 2);
        var q = qkv[0].view(b, t, numHeads, headDim).transpose(1, 2);          // (B, nh, T, hd)
        var k = qkv[1].view(b, t, numKeyValueHeads, headDim).transpose(1, 2);  // (B, nkv, T, hd)
        var v = qkv[2].view(b, t, numKeyValueHeads, headDim).transpose(1, 2);
        if (rotary is var (cos, sin))
        {
            q = RotaryEmbedding.Apply(q, cos, sin);
            k = RotaryEmbedding.Apply(k, cos, sin);
        }
        if (cache is not null) (k, v) = cache.Append(layer, k, v);             // (B, nkv, S, hd)
        if (numKeyValueHeads != numHeads)                                       // each key/value head serves a group of query heads
        {
            k = k.repeat_interleave(numHeads / numKeyValueHeads, dim: 1);
            v = v.repeat_interleave(numHeads / numKeyValueHeads, dim: 1);
        }
        var y = SelfAttention.Attend(q, k, v, attend, attentionDropout, training);
        y = y.transpose(1, 2).reshape(b, t, numHeads * headDim);                // (B, T, C)
        return resid_dropout.call(c_proj.call(y)).MoveToOuterDisposeScope();
    }
}
