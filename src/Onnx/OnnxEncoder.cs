using MLNet.Transformers.Models;

namespace MLNet.Transformers.Onnx;

/// <summary>
/// The state-dict keys of one post-LN encoder layer: attention projections, its residual LayerNorm, the feed-forward pair and
/// its LayerNorm. BERT and RoBERTa share <see cref="Bert"/>; DistilBERT names the same pieces differently.
/// </summary>
internal sealed record OnnxLayerKeys(string Query, string Key, string Value, string AttentionOutput, string AttentionNorm,
    string FeedForwardIn, string FeedForwardOut, string OutputNorm)
{
    /// <summary>HF <c>BertLayer</c> (also RoBERTa's): <c>attention.self.query</c> … <c>output.LayerNorm</c>.</summary>
    public static OnnxLayerKeys Bert { get; } = new("attention.self.query", "attention.self.key", "attention.self.value",
        "attention.output.dense", "attention.output.LayerNorm", "intermediate.dense", "output.dense", "output.LayerNorm");

    /// <summary>HF distilbert <c>TransformerBlock</c>: <c>attention.q_lin</c> … <c>output_layer_norm</c>.</summary>
    public static OnnxLayerKeys DistilBert { get; } = new("attention.q_lin", "attention.k_lin", "attention.v_lin",
        "attention.out_lin", "sa_layer_norm", "ffn.lin1", "ffn.lin2", "output_layer_norm");
}

/// <summary>
/// An encoder family as an ONNX graph: where its weights are (<paramref name="Prefix"/>, e.g. "roberta." inside a task model, ""
/// for a bare encoder) and the few ways the families differ — RoBERTa's positions, DistilBERT's missing token types and layer
/// key names. <see cref="Write"/> mirrors the families' <c>forward</c> op by op: embeddings (word + position [+ token type]) →
/// LayerNorm → post-LN layers with an additive padding mask. Every graph takes <c>input_ids</c>, <c>attention_mask</c> and
/// <c>token_type_ids</c> (int64 [batch, sequence]), so one serving pipeline feeds any export; DistilBERT ignores the last.
/// </summary>
/// <param name="ModelType">config.json's model_type.</param>
/// <param name="Prefix">Key prefix of the encoder's weights.</param>
/// <param name="Layers">Number of layers.</param>
/// <param name="Heads">Attention heads.</param>
/// <param name="HiddenSize">Width of the hidden states.</param>
/// <param name="Activation">Feed-forward activation (HF name).</param>
/// <param name="LayerNormEps">Epsilon of every LayerNorm.</param>
/// <param name="RobertaPaddingIdx">RoBERTa's pad_token_id: positions count from it + 1 over non-padding tokens; null for 0…T−1.</param>
/// <param name="TokenTypes">Whether token-type embeddings are added (not in DistilBERT).</param>
/// <param name="LayerStack">Key of the layer list ("encoder.layer", "transformer.layer").</param>
/// <param name="LayerKeys">Keys inside one layer.</param>
internal sealed record OnnxEncoder(string ModelType, string Prefix, int Layers, int Heads, int HiddenSize, string Activation, double LayerNormEps,
    long? RobertaPaddingIdx, bool TokenTypes, string LayerStack, OnnxLayerKeys LayerKeys)
{
    /// <summary>The names every exported graph takes, in this order (as <c>TokenizeForTransformer</c> outputs them).</summary>
    public static readonly string[] InputNames = ["input_ids", "attention_mask", "token_type_ids"];

    /// <summary>The layout of <paramref name="encoder"/>, its keys under <paramref name="prefix"/> (asked of its registered family).</summary>
    public static OnnxEncoder Of(IEncoderModel encoder, string prefix = "") =>
        (EncoderFamilies.All.FirstOrDefault(f => f.Owns(encoder)) ?? throw Unsupported(encoder.GetType().Name)).OnnxLayout(encoder, prefix);

    /// <summary>The error for a model no exporter covers (decoders included: GPT-2 and T5 export is not supported).</summary>
    public static NotSupportedException Unsupported(string what) => new(
        $"ExportOnnx covers the registered encoder families ({string.Join(", ", EncoderFamilies.ModelTypes)}); {what} is not one of them (GPT-2 and T5 are not exported).");

    /// <summary>Declares the inputs and writes the encoder: returns the last hidden state (B, T, H) and the mask as float (B, T).</summary>
    public string Write(OnnxLayers l, out string maskFloat)
    {
        var g = l.Graph;
        foreach (var name in InputNames) g.Input(name, OnnxType.Int64, "batch", "sequence");

        var x = g.Node("Add", [l.Embedding(Prefix + "embeddings.word_embeddings.weight", "input_ids"),
            l.Embedding(Prefix + "embeddings.position_embeddings.weight", Positions(g))]);
        if (TokenTypes) x = g.Node("Add", [x, l.Embedding(Prefix + "embeddings.token_type_embeddings.weight", "token_type_ids")]);
        x = l.LayerNorm(x, Prefix + "embeddings.LayerNorm", LayerNormEps);

        // Padding keys get -1e9 added to their scores: (1 - mask) · -1e9, shaped (B, 1, 1, T) to broadcast over heads and queries.
        maskFloat = g.Node("Cast", ["attention_mask"], [Attr.I("to", (long)OnnxType.Float)]);
        var additive = g.Node("Unsqueeze", [g.Node("Mul", [g.Node("Sub", [g.Scalar(1f), maskFloat]), g.Scalar(-1e9f)]), g.Ints(1, 2)]);

        long headSize = HiddenSize / Heads;
        var k = LayerKeys;
        for (int i = 0; i < Layers; i++)
        {
            string p = $"{Prefix}{LayerStack}.{i}.";
            var attention = l.SelfAttention(x, additive, p + k.Query, p + k.Key, p + k.Value, p + k.AttentionOutput, Heads, headSize);
            var attended = l.LayerNorm(g.Node("Add", [attention, x]), p + k.AttentionNorm, LayerNormEps);
            var inner = l.Activation(l.Linear(attended, p + k.FeedForwardIn), Activation);
            x = l.LayerNorm(g.Node("Add", [l.Linear(inner, p + k.FeedForwardOut), attended]), p + k.OutputNorm, LayerNormEps);
        }
        return x;
    }

    // Position ids: 0…T−1 (B-independent, broadcast), or RoBERTa's create_position_ids_from_input_ids: cumsum of the
    // non-padding indicator times the indicator, plus padding_idx — so padding sits at padding_idx and a padded row's real
    // tokens get the positions they would have unpadded.
    private string Positions(OnnxGraph g)
    {
        if (RobertaPaddingIdx is not { } pad)
        {
            var length = g.Node("Gather", [g.Node("Shape", ["input_ids"]), g.Initializer(g.Name("one"), new long[] { 1 })], [Attr.I("axis", 0)]);
            return g.Node("Range", [g.Initializer(g.Name("zero"), new long[] { 0 }), length, g.Initializer(g.Name("step"), new long[] { 1 })]); // (T)
        }
        var padId = g.Initializer(g.Name("pad_id"), new long[] { pad });
        var notPad = g.Node("Cast", [g.Node("Not", [g.Node("Equal", ["input_ids", padId])])], [Attr.I("to", (long)OnnxType.Int64)]); // (B, T)
        var counted = g.Node("CumSum", [notPad, g.Initializer(g.Name("axis"), new long[] { 1 })]);
        return g.Node("Add", [g.Node("Mul", [counted, notPad]), padId]);                                                           // (B, T)
    }
}
