using MLNet.Transformers.Models.Common;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.T5;

/// <summary>
/// The encoder or the decoder of T5 (HF <c>T5Stack</c>): blocks, then <c>final_layer_norm</c>. The token embedding is
/// the model's <c>shared</c> table, passed in as embeddings, so it is stored once (HF's <c>embed_tokens</c> is a tied alias).
/// The relative-position bias of block 0 plus the mask is computed once per forward and added in every block.
/// </summary>
internal sealed class T5Stack : nn.Module
{
    private readonly ModuleList<T5Block> block;
    private readonly T5LayerNorm final_layer_norm;
    private readonly MixedPrecisionDropout dropout;
    private readonly bool isDecoder;

    /// <summary>Creates the encoder stack, or with <paramref name="isDecoder"/> the decoder stack.</summary>
    public T5Stack(T5Config config, bool isDecoder) : base(isDecoder ? "decoder" : "encoder")
    {
        int layers = isDecoder ? config.DecoderLayers : config.NumLayers;
        block = nn.ModuleList(Enumerable.Range(0, layers).Select(i => new T5Block(config, isDecoder, hasRelativeAttentionBias: i == 0)).ToArray());
        final_layer_norm = new T5LayerNorm(config.DModel, config.LayerNormEpsilon);
        dropout = new MixedPrecisionDropout(config.DropoutRate);
        this.isDecoder = isDecoder;
        RegisterComponents();
    }

    /// <summary>Number of blocks.</summary>
    public int Layers => block.Count;

    /// <summary>Encoder: (B, S, d) embeddings and a (B, S) 0/1 mask → last hidden state (B, S, d), bidirectional attention.</summary>
    public Tensor forward(Tensor embeddings, Tensor attentionMask)
    {
        if (isDecoder) throw new InvalidOperationException("The decoder stack needs the encoder output: call ForwardDecoder.");
        using var scope = NewDisposeScope();
        long s = embeddings.shape[1];
        var hidden = dropout.call(embeddings);
        var bias = block[0].SelfAttentionLayer.Attention.ComputeBias(0, s, s, bidirectional: true).to(hidden.dtype)
                   + PaddingBias(attentionMask, hidden.dtype);                           // (B, nh, S, S)
        for (int i = 0; i < block.Count; i++) hidden = block[i].forward(hidden, bias);
        return dropout.call(final_layer_norm.call(hidden)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Decoder: embeddings of new decoder positions (B, T, d) → hidden state (B, T, d). Causal self-attention over the
    /// cached positions plus the new ones; cross-attention to <paramref name="encoderHidden"/> (B, S, d) under
    /// <paramref name="encoderAttentionMask"/> (B, S). With a <paramref name="cache"/>, the new keys/values are appended and
    /// the encoder keys/values are projected only on the first call.
    /// </summary>
    public Tensor ForwardDecoder(Tensor embeddings, Tensor encoderHidden, Tensor encoderAttentionMask, T5DecoderCache? cache)
    {
        if (!isDecoder) throw new InvalidOperationException("ForwardDecoder is only for the decoder stack.");
        using var scope = NewDisposeScope();
        long past = cache?.Length ?? 0, t = embeddings.shape[1], total = past + t;
        var hidden = dropout.call(embeddings);
        var selfBias = block[0].SelfAttentionLayer.Attention.ComputeBias(past, t, total, bidirectional: false).to(hidden.dtype)
                       + CausalBias(past, t, hidden.dtype, hidden.device);                 // (1, nh, T, past+T)
        var encoderBias = PaddingBias(encoderAttentionMask, hidden.dtype);                  // (B, 1, 1, S)
        for (int i = 0; i < block.Count; i++)
        {
            var cross = block[i].CrossAttentionLayer;
            var (keys, values) = cache is null
                ? cross.ProjectEncoderOutput(encoderHidden)
                : cache.EncoderKeysValues(i, () => cross.ProjectEncoderOutput(encoderHidden));
            hidden = block[i].forward(hidden, selfBias, keys, values, encoderBias, cache, i);
        }
        return dropout.call(final_layer_norm.call(hidden)).MoveToOuterDisposeScope();
    }

    // HF's extended attention mask: 0 where attended, the dtype's most negative value where masked.
    private static Tensor PaddingBias(Tensor attentionMask, ScalarType dtype) =>
        ((1 - attentionMask.to(dtype)) * MostNegative(dtype)).unsqueeze(1).unsqueeze(1);

    // Query i (absolute position past+i) sees keys 0 .. past+i.
    private static Tensor CausalBias(long past, long t, ScalarType dtype, Device device)
    {
        var query = arange(past, past + t, dtype: ScalarType.Int64, device: device).unsqueeze(1);
        var key = arange(past + t, dtype: ScalarType.Int64, device: device).unsqueeze(0);
        return where(key.le(query), zeros(1, dtype: dtype, device: device), full(1, MostNegative(dtype), dtype: dtype, device: device))
            .unsqueeze(0).unsqueeze(0);
    }

    private static double MostNegative(ScalarType dtype) => dtype switch
    {
        ScalarType.Float16 => -65504.0,
        ScalarType.BFloat16 => -3.3895313892515355e38,
        ScalarType.Float64 => double.MinValue,
        _ => float.MinValue,
    };
}
