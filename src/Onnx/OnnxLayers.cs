using static TorchSharp.torch;

namespace MLNet.Transformers.Onnx;

/// <summary>
/// The graph pieces every encoder family is made of, written into one <see cref="OnnxGraph"/> from a model's state dict
/// (fp32 copies): embedding lookups, linear layers (fp32, or int8 dynamic quantization), LayerNorm, activations, multi-head
/// self-attention, the poolings and L2 normalisation. Weights are named by their state-dict keys; which keys a family uses
/// is <see cref="OnnxEncoder"/>'s business. With <c>int8</c> the linear layers use dynamic quantization: weights stored
/// int8 with one scale per output channel (symmetric, 7-bit range: see <see cref="WeightLevels"/>), activations quantized
/// per tensor at run time by <c>DynamicQuantizeLinear</c>, integer products by <c>MatMulInteger</c> (ONNX Runtime fuses the pattern into its integer GEMM).
/// </summary>
internal sealed class OnnxLayers
{
    /// <summary>
    /// Largest quantized weight magnitude: 7-bit weights in [−64, 64] (ONNX Runtime quantizer's <c>reduce_range</c>), not
    /// [−127, 127]. Why: without VNNI (AVX2, AVX-512 without VNNI) ONNX Runtime's u8×s8 GEMM multiplies with
    /// <c>vpmaddubsw</c>, which sums each pair of adjacent u8·s8 products into a saturating int16. With 8-bit weights a pair
    /// reaches 2·255·127 = 64,770 and clips at 32,767 (int8 errors 2-5× the bounds on an AVX2 host); with 7-bit weights it
    /// is at most 2·255·64 = 32,640, so every host computes the exact integer product and gives the same result.
    /// </summary>
    internal const int WeightLevels = 64;

    private readonly Dictionary<string, Tensor> _weights;
    private readonly bool _int8;

    /// <summary>Takes fp32 CPU copies of <paramref name="model"/>'s weights (dispose them with the caller's scope).</summary>
    public OnnxLayers(nn.Module model, bool int8)
    {
        _weights = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().to(ScalarType.Float32).cpu());
        _int8 = int8;
    }

    /// <summary>The graph being written.</summary>
    public OnnxGraph Graph { get; } = new();

    /// <summary>Whether the model has a weight called <paramref name="key"/> (e.g. an optional pooler).</summary>
    public bool Has(string key) => _weights.ContainsKey(key);

    /// <summary>The weight <paramref name="key"/> as an fp32 initializer of the same name.</summary>
    public string Weight(string key)
    {
        var t = Find(key);
        return Graph.Initializer(key, Floats(t), t.shape);
    }

    /// <summary>Rows of the embedding matrix <paramref name="key"/> at the int64 <paramref name="indices"/>: (…) → (…, H).</summary>
    public string Embedding(string key, string indices) => Graph.Node("Gather", [Weight(key), indices], [Attr.I("axis", 0)]);

    /// <summary>
    /// y = x Wᵀ + b for the linear layer <paramref name="key"/> (weights <c>key.weight</c> (out, in), <c>key.bias</c>). fp32: MatMul
    /// with the transposed weight. int8 (unless <paramref name="quantize"/> is false): y = (q(x) · W_q) · (s_x · s_w) + b.
    /// </summary>
    public string Linear(string x, string key, bool quantize = true)
    {
        var g = Graph;
        var w = Find(key + ".weight");                                                               // (out, in)
        var bias = Weight(key + ".bias");
        long outDim = w.shape[0], inDim = w.shape[1];
        if (!_int8 || !quantize)
            return g.Node("Add", [g.Node("MatMul", [x, g.Initializer(key + ".weight_t", Floats(w.t()), inDim, outDim)]), bias]);

        var scale = w.abs().amax([1]).clamp_min(1e-12) / WeightLevels;                                 // (out): per output channel
        var quantized = (w / scale.unsqueeze(1)).round().clamp(-WeightLevels, WeightLevels).to(ScalarType.Int8).t().contiguous(); // (in, out)
        var wq = g.Initializer(key + ".weight_int8", quantized.data<sbyte>().ToArray(), inDim, outDim);
        var ws = g.Initializer(key + ".weight_scale", Floats(scale), outDim);
        var q = g.NodeMulti("DynamicQuantizeLinear", [x], 3);                                          // uint8 x, scale, zero point
        var product = g.Node("Cast", [g.Node("MatMulInteger", [q[0], wq, q[2]])], [Attr.I("to", (long)OnnxType.Float)]);
        return g.Node("Add", [g.Node("Mul", [product, g.Node("Mul", [q[1], ws])]), bias]);
    }

    /// <summary>LayerNorm over the last axis with <c>key.weight</c>/<c>key.bias</c>.</summary>
    public string LayerNorm(string x, string key, double epsilon) =>
        Graph.Node("LayerNormalization", [x, Weight(key + ".weight"), Weight(key + ".bias")],
            [Attr.I("axis", -1), Attr.F("epsilon", (float)epsilon)]);

    /// <summary>The activation HF calls <paramref name="name"/> (as <c>Models.Activations</c>: gelu, gelu_new / gelu_pytorch_tanh, relu).</summary>
    public string Activation(string x, string name)
    {
        var g = Graph;
        return name switch
        {
            "relu" => g.Node("Relu", [x]),
            // exact GELU: 0.5 · x · (1 + erf(x / √2)); ONNX Runtime fuses it into its Gelu kernel
            "gelu" => g.Node("Mul", [g.Node("Mul", [x, g.Scalar(0.5f)]),
                g.Node("Add", [g.Scalar(1f), g.Node("Erf", [g.Node("Div", [x, g.Scalar(MathF.Sqrt(2f))])])])]),
            // tanh GELU: 0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³))), torch's approximate='tanh'
            "gelu_new" or "gelu_pytorch_tanh" => g.Node("Mul", [g.Node("Mul", [x, g.Scalar(0.5f)]),
                g.Node("Add", [g.Scalar(1f), g.Node("Tanh", [g.Node("Mul", [g.Scalar(MathF.Sqrt(2f / MathF.PI)),
                    g.Node("Add", [x, g.Node("Mul", [g.Scalar(0.044715f), g.Node("Mul", [x, g.Node("Mul", [x, x])])])])])])])]),
            _ => throw new NotSupportedException($"ONNX export supports the activations gelu, gelu_new, gelu_pytorch_tanh and relu, not '{name}'."),
        };
    }

    /// <summary>
    /// Multi-head self-attention with projections <paramref name="query"/>, <paramref name="key"/>, <paramref name="value"/>
    /// and <paramref name="output"/> (linear-layer keys): softmax(q kᵀ / √hs + mask) v, heads merged, output projection.
    /// <paramref name="additiveMask"/> is (B, 1, 1, T): 0 for real keys, −1e9 for padding.
    /// </summary>
    public string SelfAttention(string x, string additiveMask, string query, string key, string value, string output, long heads, long headSize)
    {
        var g = Graph;
        var splitShape = g.Ints(0, 0, heads, headSize);
        string Heads(string projection, long[] perm) =>
            g.Node("Transpose", [g.Node("Reshape", [Linear(x, projection), splitShape])], [Attr.Is("perm", perm)]);
        var q = Heads(query, [0, 2, 1, 3]);   // (B, nh, T, hs)
        var kT = Heads(key, [0, 2, 3, 1]);    // (B, nh, hs, T)
        var v = Heads(value, [0, 2, 1, 3]);
        var scores = g.Node("Add", [g.Node("Mul", [g.Node("MatMul", [q, kT]), g.Scalar((float)(1.0 / Math.Sqrt(headSize)))]), additiveMask]);
        var context = g.Node("MatMul", [g.Node("Softmax", [scores], [Attr.I("axis", -1)]), v]);                // (B, nh, T, hs)
        context = g.Node("Reshape", [g.Node("Transpose", [context], [Attr.Is("perm", 0, 2, 1, 3)]), g.Ints(0, 0, heads * headSize)]);
        return Linear(context, output);
    }

    /// <summary>The first token's vector ([CLS] / &lt;s&gt;): (B, T, H) → (B, H).</summary>
    public string FirstToken(string hidden) =>
        Graph.Node("Gather", [hidden, Graph.Initializer(Graph.Name("zero_scalar"), new long[] { 0 })], [Attr.I("axis", 1)]);

    /// <summary>Mean over real tokens (<paramref name="maskFloat"/> (B, T) is 1 for them): (B, T, H) → (B, H).</summary>
    public string MaskedMean(string hidden, string maskFloat)
    {
        var g = Graph;
        var mask = g.Node("Unsqueeze", [maskFloat, g.Ints(-1)]);                                          // (B, T, 1)
        var sum = g.Node("ReduceSum", [g.Node("Mul", [hidden, mask]), g.Ints(1)], [Attr.I("keepdims", 0)]); // (B, H)
        var count = g.Node("ReduceSum", [mask, g.Ints(1)], [Attr.I("keepdims", 0)]);                      // (B, 1)
        return g.Node("Div", [sum, g.Node("Max", [count, g.Scalar(1f)])]);
    }

    /// <summary>Element-wise maximum over real tokens, padding set to −1e9 first (sentence-transformers): (B, T, H) → (B, H).</summary>
    public string MaskedMax(string hidden, string maskFloat)
    {
        var g = Graph;
        var padding = g.Node("Equal", [g.Node("Unsqueeze", [maskFloat, g.Ints(-1)]), g.Scalar(0f)]);       // (B, T, 1)
        var filled = g.Node("Where", [padding, g.Scalar(-1e9f), hidden]);
        return g.Node("ReduceMax", [filled], [Attr.Is("axes", 1), Attr.I("keepdims", 0)]);               // opset 17: axes is an attribute
    }

    /// <summary>Rows divided by their L2 norm, clamped below at 1e-12 (torch's <c>F.normalize(x, p=2, dim=1)</c>): (B, H) → (B, H).</summary>
    public string L2Normalize(string x)
    {
        var g = Graph;
        var norm = g.Node("Sqrt", [g.Node("ReduceSum", [g.Node("Mul", [x, x]), g.Ints(1)], [Attr.I("keepdims", 1)])]); // (B, 1)
        return g.Node("Div", [x, g.Node("Max", [norm, g.Scalar(1e-12f)])]);
    }

    private Tensor Find(string key) => _weights.TryGetValue(key, out var t) ? t
        : throw new InvalidOperationException($"The model has no weight '{key}' to export.");

    private static float[] Floats(Tensor t) => t.contiguous().data<float>().ToArray();
}
