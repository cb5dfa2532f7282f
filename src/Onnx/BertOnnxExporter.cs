using MLNet.Transformers.Models.Bert;
using MLNet.Transformers.Transforms;
using static TorchSharp.torch;

namespace MLNet.Transformers.Onnx;

/// <summary>
/// Writes a BERT encoder as an ONNX graph of standard operators (opset 17) that ONNX Runtime runs:
/// inputs <c>input_ids</c>, <c>attention_mask</c>, <c>token_type_ids</c> (int64, [batch, sequence]) →
/// <c>last_hidden_state</c> [batch, sequence, hidden], plus the pooled sentence vector <c>embedding</c> [batch, hidden]
/// when a pooling is given. Mirrors <see cref="BertModel.forward"/> op by op (post-LN layers, exact erf GELU, additive
/// padding mask). With <c>int8</c> the linear layers use dynamic quantization: weights stored int8 with one scale per
/// output channel (symmetric), activations quantized per tensor at run time by <c>DynamicQuantizeLinear</c>, integer
/// products by <c>MatMulInteger</c> (ONNX Runtime fuses the pattern into its integer GEMM).
/// <see cref="ExportSequenceClassifier"/> adds a <c>BertForSequenceClassification</c> head on top of the same encoder graph.
/// </summary>
internal sealed class BertOnnxExporter
{
    private const int Opset = 17;   // LayerNormalization is standard from 17
    private readonly OnnxGraph _g = new();
    private readonly Dictionary<string, Tensor> _weights;
    private readonly BertConfig _config;
    private readonly string _prefix;
    private readonly bool _int8;

    private BertOnnxExporter(Dictionary<string, Tensor> weights, BertConfig config, string prefix, bool int8)
    {
        if (config.HiddenAct is not ("gelu" or "relu"))
            throw new NotSupportedException($"ONNX export supports hidden_act 'gelu' and 'relu', not '{config.HiddenAct}'.");
        (_weights, _config, _prefix, _int8) = (weights, config, prefix, int8);
    }

    /// <summary>Exports the encoder under <paramref name="prefix"/> ("" for a bare <see cref="BertModel"/>, "bert." in a task model).</summary>
    public static void Export(nn.Module model, BertConfig config, string path, EmbeddingPooling? pooling, bool int8, string prefix = "")
    {
        using var scope = NewDisposeScope();
        var weights = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().to(ScalarType.Float32).cpu());
        var exporter = new BertOnnxExporter(weights, config, prefix, int8);
        exporter.Build(pooling);
        exporter._g.Save(path, Opset, "bert_encoder");
    }

    /// <summary>
    /// Exports a <see cref="BertForSequenceClassification"/>: the encoder plus its head (pooler + classifier, or classifier on
    /// [CLS]) → <c>logits</c> [batch, labels] and <c>score</c> [batch, labels] (softmax of the logits, as the transformer's
    /// Score; for regression the raw output) and, for classification, <c>predicted_class</c> [batch] (int64 argmax, 0-based).
    /// The classifier itself stays fp32 in an int8 export (a few thousand weights; quantizing it saves nothing).
    /// </summary>
    public static void ExportSequenceClassifier(BertForSequenceClassification model, string path, bool regression, bool int8)
    {
        using var scope = NewDisposeScope();
        var weights = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().to(ScalarType.Float32).cpu());
        var exporter = new BertOnnxExporter(weights, model.Bert.Config, "bert.", int8);
        var x = exporter.Encoder(out _);
        exporter.ClassifierHead(x, model.Head, model.NumLabels, regression);
        exporter._g.Save(path, Opset, "bert_sequence_classifier");
    }

    /// <summary>
    /// Exports a <see cref="BertForTokenClassification"/>: the encoder plus its per-token classifier → <c>logits</c>
    /// [batch, sequence, labels] and <c>predicted_class</c> [batch, sequence] (int64 argmax, 0-based). Mapping tokens back
    /// to words (the first WordPiece of each word, as the transformer does) is left to the caller.
    /// </summary>
    public static void ExportTokenClassifier(BertForTokenClassification model, string path, bool int8)
    {
        using var scope = NewDisposeScope();
        var weights = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().to(ScalarType.Float32).cpu());
        var exporter = new BertOnnxExporter(weights, model.Bert.Config, "bert.", int8);
        var g = exporter._g;
        var logits = exporter.Linear(exporter.Encoder(out _), "classifier", underPrefix: false, quantize: false);   // (B, T, L)
        g.Node("Identity", [logits], output: "logits");
        g.Output("logits", OnnxType.Float, "batch", "sequence", model.NumLabels);
        g.Node("ArgMax", [logits], [Attr.I("axis", -1), Attr.I("keepdims", 0)], output: "predicted_class");
        g.Output("predicted_class", OnnxType.Int64, "batch", "sequence");
        g.Save(path, Opset, "bert_token_classifier");
    }

    private void ClassifierHead(string x, Models.ClassificationHead head, int numLabels, bool regression)
    {
        var cls = _g.Node("Gather", [x, _g.Initializer(_g.Name("zero_scalar"), new long[] { 0 })], [Attr.I("axis", 1)]);   // (B, H)
        var sentence = head == Models.ClassificationHead.Pooler ? _g.Node("Tanh", [Linear(cls, "pooler.dense")]) : cls;
        var logits = Linear(sentence, "classifier", underPrefix: false, quantize: false);                               // (B, L)
        _g.Node("Identity", [logits], output: "logits");
        _g.Output("logits", OnnxType.Float, "batch", numLabels);
        _g.Node(regression ? "Identity" : "Softmax", [logits], regression ? null : [Attr.I("axis", -1)], output: "score");
        _g.Output("score", OnnxType.Float, "batch", numLabels);
        if (regression) return;
        _g.Node("ArgMax", [logits], [Attr.I("axis", -1), Attr.I("keepdims", 0)], output: "predicted_class");
        _g.Output("predicted_class", OnnxType.Int64, "batch");
    }

    private void Build(EmbeddingPooling? pooling)
    {
        var x = Encoder(out var maskFloat);
        _g.Node("Identity", [x], output: "last_hidden_state");
        _g.Output("last_hidden_state", OnnxType.Float, "batch", "sequence", _config.HiddenSize);
        int h = _config.HiddenSize;

        if (pooling is { } p)
        {
            var cls = _g.Node("Gather", [x, _g.Initializer(_g.Name("zero_scalar"), new long[] { 0 })], [Attr.I("axis", 1)]);
            var pooled = p switch
            {
                EmbeddingPooling.Cls => cls,
                EmbeddingPooling.Pooler => _g.Node("Tanh", [Linear(cls, "pooler.dense")]),
                EmbeddingPooling.Mean => MaskedMean(x, maskFloat),
                _ => throw new ArgumentOutOfRangeException(nameof(pooling), p, "Unknown pooling."),
            };
            _g.Node("Identity", [pooled], output: "embedding");
            _g.Output("embedding", OnnxType.Float, "batch", h);
        }
    }

    // Inputs, embeddings and the encoder layers: the last hidden state (B, T, H); maskFloat is the attention mask as float (B, T).
    private string Encoder(out string maskFloat)
    {
        foreach (var name in new[] { "input_ids", "attention_mask", "token_type_ids" })
            _g.Input(name, OnnxType.Int64, "batch", "sequence");

        // Embeddings: word + position (0..T-1) + token type, then LayerNorm.
        var seqLen = _g.Node("Gather", [_g.Node("Shape", ["input_ids"]), _g.Initializer(_g.Name("one"), new long[] { 1 })], [Attr.I("axis", 0)]);
        var positions = _g.Node("Range", [_g.Initializer(_g.Name("zero"), new long[] { 0 }), seqLen, _g.Initializer(_g.Name("step"), new long[] { 1 })]);
        var x = _g.Node("Add", [
            _g.Node("Add", [Gather("embeddings.word_embeddings.weight", "input_ids"), Gather("embeddings.position_embeddings.weight", positions)]),
            Gather("embeddings.token_type_embeddings.weight", "token_type_ids")]);
        x = LayerNorm(x, "embeddings.LayerNorm");

        // Padding keys get -1e9 added to their scores: (1 - mask) · -1e9, shaped (B, 1, 1, T) to broadcast over heads and queries.
        maskFloat = _g.Node("Cast", ["attention_mask"], [Attr.I("to", (long)OnnxType.Float)]);
        var additive = _g.Node("Mul", [_g.Node("Sub", [_g.Scalar(1f), maskFloat]), _g.Scalar(-1e9f)]);
        additive = _g.Node("Unsqueeze", [additive, _g.Ints(1, 2)]);

        for (int l = 0; l < _config.NumHiddenLayers; l++) x = Layer(x, additive, $"encoder.layer.{l}.");
        return x;
    }

    // One post-LN encoder layer, as BertLayer: attention block, then feed-forward block, each with residual + LayerNorm.
    private string Layer(string x, string additiveMask, string p)
    {
        long heads = _config.NumAttentionHeads, hs = _config.HeadSize;
        var splitShape = _g.Ints(0, 0, heads, hs);
        string Heads(string name, long[] perm) =>
            _g.Node("Transpose", [_g.Node("Reshape", [Linear(x, p + name), splitShape])], [Attr.Is("perm", perm)]);
        var q = Heads("attention.self.query", [0, 2, 1, 3]);   // (B, nh, T, hs)
        var kT = Heads("attention.self.key", [0, 2, 3, 1]);    // (B, nh, hs, T)
        var v = Heads("attention.self.value", [0, 2, 1, 3]);
        var scores = _g.Node("Add", [_g.Node("Mul", [_g.Node("MatMul", [q, kT]), _g.Scalar((float)(1.0 / Math.Sqrt(hs)))]), additiveMask]);
        var context = _g.Node("MatMul", [_g.Node("Softmax", [scores], [Attr.I("axis", -1)]), v]);
        context = _g.Node("Reshape", [_g.Node("Transpose", [context], [Attr.Is("perm", 0, 2, 1, 3)]), _g.Ints(0, 0, heads * hs)]);
        var attended = LayerNorm(_g.Node("Add", [Linear(context, p + "attention.output.dense"), x]), p + "attention.output.LayerNorm");
        var inner = Activation(Linear(attended, p + "intermediate.dense"));
        return LayerNorm(_g.Node("Add", [Linear(inner, p + "output.dense"), attended]), p + "output.LayerNorm");
    }

    private string Activation(string x) => _config.HiddenAct == "relu" ? _g.Node("Relu", [x])
        // exact GELU: 0.5 · x · (1 + erf(x / √2)); ONNX Runtime fuses it into its Gelu kernel
        : _g.Node("Mul", [_g.Node("Mul", [x, _g.Scalar(0.5f)]),
            _g.Node("Add", [_g.Scalar(1f), _g.Node("Erf", [_g.Node("Div", [x, _g.Scalar(MathF.Sqrt(2f))])])])]);

    private string MaskedMean(string hidden, string maskFloat)
    {
        var mask = _g.Node("Unsqueeze", [maskFloat, _g.Ints(-1)]);                                          // (B, T, 1)
        var sum = _g.Node("ReduceSum", [_g.Node("Mul", [hidden, mask]), _g.Ints(1)], [Attr.I("keepdims", 0)]); // (B, H)
        var count = _g.Node("ReduceSum", [mask, _g.Ints(1)], [Attr.I("keepdims", 0)]);                      // (B, 1)
        return _g.Node("Div", [sum, _g.Node("Max", [count, _g.Scalar(1f)])]);
    }

    private string Gather(string weight, string indices) => _g.Node("Gather", [Weight(weight), indices], [Attr.I("axis", 0)]);

    private string LayerNorm(string x, string name) =>
        _g.Node("LayerNormalization", [x, Weight(name + ".weight"), Weight(name + ".bias")],
            [Attr.I("axis", -1), Attr.F("epsilon", (float)_config.LayerNormEps)]);

    // y = x Wᵀ + b. fp32: MatMul with the transposed weight. int8: y = (q(x) · W_q) · (s_x · s_w) + b.
    // underPrefix: the weight's key starts with the encoder's prefix (a task head's, e.g. "classifier.", does not).
    private string Linear(string x, string name, bool underPrefix = true, bool quantize = true)
    {
        string key = (underPrefix ? _prefix : "") + name;
        var w = _weights.TryGetValue(key + ".weight", out var found) ? found
            : throw new InvalidOperationException($"The model has no weight '{key}.weight' to export.");   // (out, in)
        var bias = Weight(name + ".bias", underPrefix);
        long outDim = w.shape[0], inDim = w.shape[1];
        if (!_int8 || !quantize)
            return _g.Node("Add", [_g.Node("MatMul", [x, _g.Initializer(name + ".weight_t", Floats(w.t()), inDim, outDim)]), bias]);

        var scale = w.abs().amax([1]).clamp_min(1e-12) / 127.0;                                   // (out): per output channel
        var quantized = (w / scale.unsqueeze(1)).round().clamp(-127, 127).to(ScalarType.Int8).t().contiguous(); // (in, out)
        var wq = _g.Initializer(name + ".weight_int8", quantized.data<sbyte>().ToArray(), inDim, outDim);
        var ws = _g.Initializer(name + ".weight_scale", Floats(scale), outDim);
        var q = _g.NodeMulti("DynamicQuantizeLinear", [x], 3);                                     // uint8 x, scale, zero point
        var product = _g.Node("Cast", [_g.Node("MatMulInteger", [q[0], wq, q[2]])], [Attr.I("to", (long)OnnxType.Float)]);
        return _g.Node("Add", [_g.Node("Mul", [product, _g.Node("Mul", [q[1], ws])]), bias]);
    }

    private string Weight(string name, bool underPrefix = true)
    {
        string key = (underPrefix ? _prefix : "") + name;
        var t = _weights.TryGetValue(key, out var w) ? w
            : throw new InvalidOperationException($"The model has no weight '{key}' to export.");
        return _g.Initializer(name, Floats(t), t.shape);
    }

    private static float[] Floats(Tensor t) => t.contiguous().data<float>().ToArray();
}
