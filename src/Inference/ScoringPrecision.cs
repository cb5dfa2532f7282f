using TorchSharp;
using TorchSharp.Modules;
using MLNet.Transformers.Models.Gpt2;
using static TorchSharp.torch;

namespace MLNet.Transformers.Inference;

/// <summary>
/// Prepares a model for scoring in a <see cref="Precision"/>. TorchSharp has no autocast, so for
/// <see cref="Precision.BFloat16"/> every <see cref="Linear"/> gets bf16 weights and a hook that casts its input to bf16;
/// a linear whose output goes straight into more bf16 work (attention, the feed-forward expansion) stays bf16, the others
/// cast their output back to fp32. So embeddings, residual sums, LayerNorm and pooling run in fp32 as before — that is
/// where bf16's 8-bit mantissa costs accuracy (casting the whole model doubles the error) — while ~97% of the FLOPs
/// (the matmuls) run in bf16. Attention itself runs in bf16 (the encoders' as batched matmuls around a softmax that computes
/// in fp32 internally, see <see cref="Models.Common.SelfAttention"/>), and the encoders' linears run packed, with bias and
/// activation fused (<see cref="PackedBf16Linear"/>).
/// A projection whose output is added straight to the fp32 residual stream also stays bf16: the add promotes it to
/// fp32 exactly as a cast would, without a separate pass over the activations.
/// </summary>
/// <remarks>
/// Works for any model built from <see cref="Linear"/> (or GPT-2 <see cref="Conv1D"/>) modules called through <c>.call()</c> (hooks do not run on
/// <c>.forward()</c>). Weights used through <c>functional.linear</c> (e.g. a decoder tied to the embeddings) stay fp32.
/// Apply once, after moving the model to its device; the model is for inference afterwards, and a checkpoint saved
/// from it stores the linear weights in bf16 (half the size; loading it back with the same precision gives the same results).
/// </remarks>
internal static class ScoringPrecision
{
    /// <summary>
    /// The linear layers whose output feeds only bf16 work in the Hugging Face families: BERT/RoBERTa's
    /// <c>query</c>/<c>key</c>/<c>value</c> and <c>intermediate.dense</c> (before GELU), DistilBERT's
    /// <c>q_lin</c>/<c>k_lin</c>/<c>v_lin</c> and <c>lin1</c>, T5's <c>q</c>/<c>k</c>/<c>v</c>/<c>wi</c>, GPT-2's <c>c_fc</c> (before GELU). GPT-2's <c>c_attn</c> returns fp32: its keys and values go through RoPE and into the KV cache.
    /// </summary>
    public static bool FeedsBf16Work(string moduleName)
    {
        string leaf = moduleName[(moduleName.LastIndexOf('.') + 1)..];
        return leaf is "query" or "key" or "value" or "q" or "k" or "v" or "wi" or "wi_0" or "wi_1" or "c_fc"
            || leaf is "q_lin" or "k_lin" or "v_lin" or "lin1"
            || moduleName.EndsWith("intermediate.dense", StringComparison.Ordinal);
    }

    /// <summary>
    /// The linear layers whose output is added straight to the fp32 residual stream (the add promotes bf16 to fp32
    /// exactly): BERT/RoBERTa's <c>attention.output.dense</c> and <c>output.dense</c> of each layer, DistilBERT's
    /// <c>attention.out_lin</c> and <c>ffn.lin2</c>. Heads, poolers and the MLM transform (which feed tanh, GELU or
    /// LayerNorm directly) are not among them.
    /// </summary>
    public static bool FeedsResidualSum(string moduleName) =>
        (moduleName.Contains(".layer.", StringComparison.Ordinal) || moduleName.StartsWith("layer.", StringComparison.Ordinal))
        && (moduleName.EndsWith(".output.dense", StringComparison.Ordinal)   // attention.output.dense and the layer's output.dense
            || moduleName.EndsWith("attention.out_lin", StringComparison.Ordinal) || moduleName.EndsWith("ffn.lin2", StringComparison.Ordinal));

    /// <summary>
    /// Applies <paramref name="precision"/> to <paramref name="model"/> in place; Float32 leaves it unchanged and Auto becomes
    /// what <see cref="HostPrecision.Resolve"/> picks for this host.
    /// <paramref name="keepsBf16Output"/> (by module name, default <see cref="FeedsBf16Work"/> or <see cref="FeedsResidualSum"/>)
    /// picks the linear layers whose output stays bf16.
    /// </summary>
    public static void Apply(nn.Module model, Precision precision, Func<string, bool>? keepsBf16Output = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        switch (HostPrecision.Resolve(precision))
        {
            case Precision.Float32: return;
            case Precision.BFloat16:
                keepsBf16Output ??= name => FeedsBf16Work(name) || FeedsResidualSum(name);
                foreach (var (name, module) in model.named_modules())
                    if (module is Linear or Conv1D) ToBf16((nn.Module<Tensor, Tensor>)module, keepsBf16Output(name));
                return;
            case Precision.Int8: throw new ArgumentException(Int8NotOffered, nameof(precision));
            default: throw new ArgumentOutOfRangeException(nameof(precision), precision, "Unknown precision.");
        }
    }

    /// <summary>Why a transformer without an ONNX Runtime engine refuses <see cref="Precision.Int8"/>.</summary>
    internal const string Int8NotOffered = "Precision.Int8 runs the exported int8 graph in ONNX Runtime and is offered by TransformerEmbedding, "
        + "TextClassification and SentenceSimilarity only; use Auto, Float32 or BFloat16 here (or ExportOnnx(path, quantizeInt8: true) and ApplyOnnxModel).";

    // GPT-2's Conv1D is a linear layer with a transposed weight, treated the same.
    private static void ToBf16(nn.Module<Tensor, Tensor> linear, bool keepBf16Output)
    {
        linear.to(ScalarType.BFloat16);
        linear.register_forward_pre_hook((_, input) => input.to(ScalarType.BFloat16));
        if (!keepBf16Output) linear.register_forward_hook((_, _, output) => output.to(ScalarType.Float32));
        if (linear is Linear plain) PackedBf16Linear.Prepare(plain, keepBf16Output);   // the encoders call it packed (see there)
    }
}
