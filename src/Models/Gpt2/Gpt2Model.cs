using MLNet.Transformers.Models.Common;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.Gpt2;

/// <summary>
/// The GPT-2 decoder stack (HF <c>GPT2Model</c>): token embeddings (+ learned or sinusoidal positions) → pre-LN blocks →
/// final LayerNorm. Keys <c>wte</c>, <c>wpe</c>, <c>h.{i}.…</c>, <c>ln_f</c>; inside the LM model they get <c>transformer.</c>.
/// </summary>
internal sealed class Gpt2Model : nn.Module
{
    private readonly Embedding wte;
    private readonly Embedding? wpe;
    private readonly MixedPrecisionDropout drop;
    private readonly ModuleList<Gpt2Block> h;
    private readonly LayerNorm ln_f;

    /// <summary>Creates the stack for <paramref name="config"/> (no <c>wpe</c> for sinusoidal or rotary positions).</summary>
    public Gpt2Model(Gpt2Config config) : base(nameof(Gpt2Model))
    {
        config.Validate();
        Config = config;
        wte = nn.Embedding(config.VocabSize, config.NEmbd);
        wpe = config.Positions == "learned" ? nn.Embedding(config.NPositions, config.NEmbd) : null;
        drop = new MixedPrecisionDropout(config.EmbdPdrop);
        h = nn.ModuleList(Enumerable.Range(0, config.NLayer).Select(i => new Gpt2Block(config, i)).ToArray());
        ln_f = nn.LayerNorm(config.NEmbd, config.LayerNormEpsilon);
        RegisterComponents();
    }

    /// <summary>The configuration the model was built from.</summary>
    public Gpt2Config Config { get; }

    /// <summary>The token-embedding matrix (vocab, n_embd) that the tied <c>lm_head</c> reuses.</summary>
    public Tensor TokenEmbeddingWeight => wte.weight!;

    /// <summary>
    /// Runs the new tokens <paramref name="inputIds"/> (B, T) after the <paramref name="cache"/>d ones (if any).
    /// <paramref name="attentionMask"/> (B, S = cached + T) is 1 for real tokens and 0 for padding; position ids count real
    /// tokens only (cumsum of the mask − 1, as HF's <c>generate</c> does), so left padding does not shift positions.
    /// Returns the last hidden states (B, T, C).
    /// </summary>
    public Tensor forward(Tensor inputIds, Tensor attentionMask, KeyValueCache? cache = null)
    {
        using var scope = NewDisposeScope();
        long t = inputIds.shape[1], past = cache?.Length ?? 0, s = past + t;
        if (attentionMask.shape[1] != s)
            throw new ArgumentException($"The attention mask covers {attentionMask.shape[1]} positions, but there are {past} cached + {t} new ones.", nameof(attentionMask));
        if (s > Config.NPositions && Config.Positions == "learned")
            throw new ArgumentException($"The sequence has {s} positions, more than the model's n_positions ({Config.NPositions}).", nameof(inputIds));
        var mask = attentionMask.to(ScalarType.Bool);
        var positionIds = (mask.to(ScalarType.Int64).cumsum(1) - 1).clamp_min(0)[.., (int)past..]; // (B, T)

        // A query at absolute position past+i may see key j ≤ past+i that is not padding; it always sees itself, so a padding
        // query's softmax is never empty (its output is ignored, but must not be NaN: NaN would leak through later layers).
        var queryIndex = arange(past, s, device: inputIds.device).view(-1, 1);                   // (T, 1)
        var keyIndex = arange(0, s, device: inputIds.device).view(1, -1);                         // (1, S)
        var causal = keyIndex.le(queryIndex);                                                     // (T, S)
        var attend = (causal.unsqueeze(0) & mask.unsqueeze(1)) | keyIndex.eq(queryIndex).unsqueeze(0); // (B, T, S)
        attend = attend.unsqueeze(1);                                                             // (B, 1, T, S)

        var x = wte.call(inputIds);                                                              // (B, T, C)
        (Tensor, Tensor)? rotary = null;
        switch (Config.Positions)
        {
            case "learned": x = x + wpe!.call(positionIds); break;
            case "sinusoidal": x = x + RotaryEmbedding.Sinusoidal(positionIds, Config.NEmbd).to(x.dtype); break;
            case "rotary": rotary = RotaryEmbedding.Tables(positionIds, Config.HeadDim, Config.RopeTheta ?? 10000.0); break;
        }
        x = drop.call(x);
        foreach (var block in h) x = block.forward(x, attend, rotary, cache);
        return ln_f.call(x).MoveToOuterDisposeScope();
    }
}
