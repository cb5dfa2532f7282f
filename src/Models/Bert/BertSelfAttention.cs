using MLNet.Transformers.Inference;
using MLNet.Transformers.Models.Common;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.Bert;

/// <summary>
/// Multi-head scaled dot-product self-attention (HF <c>BertSelfAttention</c>): bidirectional, with a padding mask.
/// </summary>
internal sealed class BertSelfAttention : nn.Module
{
    private readonly Linear query;
    private readonly Linear key;
    private readonly Linear value;
    private readonly int numHeads;
    private readonly int headSize;
    private readonly double attentionDropout;

    /// <summary>Creates the query/key/value projections for <paramref name="config"/>.</summary>
    public BertSelfAttention(BertConfig config) : base(nameof(BertSelfAttention))
    {
        query = nn.Linear(config.HiddenSize, config.HiddenSize);
        key = nn.Linear(config.HiddenSize, config.HiddenSize);
        value = nn.Linear(config.HiddenSize, config.HiddenSize);
        numHeads = config.NumAttentionHeads;
        headSize = config.HeadSize;
        attentionDropout = config.AttentionProbsDropoutProb;
        RegisterComponents();
    }

    /// <summary>
    /// Attends <paramref name="hidden"/> (B, T, H) to itself. <paramref name="attendMask"/> is a boolean (B, 1, 1, T)
    /// tensor, true where a key may be attended (i.e. not padding); it broadcasts over heads and queries.
    /// </summary>
    public Tensor forward(Tensor hidden, Tensor attendMask)
    {
        using var scope = NewDisposeScope();
        long b = hidden.shape[0], t = hidden.shape[1];
        // In the projections' dtype once: with bf16 scoring (Inference/ScoringPrecision) each projection would otherwise
        // cast the same fp32 activations to bf16 itself, three times. A no-op in fp32 and in bf16 training.
        hidden = hidden.to(query.weight!.dtype);
        var q = SplitHeads(PackedBf16Linear.Call(query, hidden), b, t); // (B, nh, T, hs)
        var k = SplitHeads(PackedBf16Linear.Call(key, hidden), b, t);
        var v = SplitHeads(PackedBf16Linear.Call(value, hidden), b, t);
        // softmax(q k^T / sqrt(hs) + mask) v, with dropout on the probabilities while training (as HF).
        var context = SelfAttention.Attend(q, k, v, attendMask, attentionDropout, training);
        context = context.transpose(1, 2).reshape(b, t, numHeads * headSize); // (B, T, H)
        return context.MoveToOuterDisposeScope();
    }

    private Tensor SplitHeads(Tensor x, long b, long t) => x.view(b, t, numHeads, headSize).transpose(1, 2);
}
