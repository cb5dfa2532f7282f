using MLNet.Transformers.Inference;
using MLNet.Transformers.Models.Common;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.DistilBert;

/// <summary>DistilBERT's attention (HF <c>MultiHeadSelfAttention</c>): q_lin/k_lin/v_lin, scaled dot product over non-padding keys, out_lin.</summary>
internal sealed class MultiHeadSelfAttention : nn.Module
{
    private readonly Linear q_lin;
    private readonly Linear k_lin;
    private readonly Linear v_lin;
    private readonly Linear out_lin;
    private readonly int numHeads;
    private readonly int headSize;
    private readonly double attentionDropout;

    /// <summary>Creates the projections for <paramref name="config"/>.</summary>
    public MultiHeadSelfAttention(DistilBertConfig config) : base(nameof(MultiHeadSelfAttention))
    {
        q_lin = nn.Linear(config.Dim, config.Dim);
        k_lin = nn.Linear(config.Dim, config.Dim);
        v_lin = nn.Linear(config.Dim, config.Dim);
        out_lin = nn.Linear(config.Dim, config.Dim);
        numHeads = config.NHeads;
        headSize = config.HeadSize;
        attentionDropout = config.AttentionDropout;
        RegisterComponents();
    }

    /// <summary>(B, T, D) with a (B, 1, 1, T) boolean attend mask → (B, T, D).</summary>
    public Tensor forward(Tensor hidden, Tensor attendMask)
    {
        using var scope = NewDisposeScope();
        long b = hidden.shape[0], t = hidden.shape[1];
        Tensor Heads(Tensor x) => x.view(b, t, numHeads, headSize).transpose(1, 2); // (B, nh, T, hs)
        hidden = hidden.to(q_lin.weight!.dtype);   // cast once for the three projections under bf16 scoring (as BertSelfAttention)
        var context = SelfAttention.Attend(Heads(PackedBf16Linear.Call(q_lin, hidden)), Heads(PackedBf16Linear.Call(k_lin, hidden)), Heads(PackedBf16Linear.Call(v_lin, hidden)),
            attendMask, attentionDropout, training);
        return PackedBf16Linear.Call(out_lin, context.transpose(1, 2).reshape(b, t, numHeads * headSize)).MoveToOuterDisposeScope();
    }
}
