using Microsoft.ML;
using MLNet.Transformers.Tests.Checkpoints;
using MLNet.Transformers.Tests.Encoders;
using MLNet.Transformers.Transforms;

namespace MLNet.Transformers.Tests.Inference;

/// <summary>
/// The int8 export on a host without VNNI (AVX2, or AVX-512 without VNNI), emulated in C# so the test runs on any host:
/// there ONNX Runtime's u8×s8 integer GEMM multiplies with <c>vpmaddubsw</c>, which adds each pair of adjacent products
/// (k, k+1) into a saturating int16 before the int32 accumulation; the activations' zero point is subtracted afterwards
/// (− zp·Σw), so the raw u8 values 0-255 are what is multiplied. With VNNI (<c>vpdpbusd</c>) every product reaches int32
/// exactly, which is why 8-bit weights passed the bounds on AVX-512 VNNI hosts and failed them on an AVX2 one.
/// </summary>
[TestClass]
public sealed class Int8WithoutVnniTests
{
    [TestMethod]
    public void Int8Export_PairsOfProductsFitInt16_SoAHostWithoutVnniComputesTheExactProduct()
    {
        using var roberta = EncoderFineTuningTests.WithTokenizerVocabulary("roberta");
        using var dir = new TempDirectory();
        var checkpoint = EncoderFineTuningTests.Folder(roberta, "Pretrained");
        var ml = new MLContext(seed: 1);
        var settings = new TransformerEmbeddingSettings("E", "Text", null, EmbeddingPooling.Mean, 128, 8);
        using var embedding = ml.Transforms.Text.TransformerEmbedding(checkpoint, settings)
            .Fit(ml.Data.LoadFromEnumerable(new[] { new { Text = "" } }));
        string fp32 = dir.File("fp32.onnx"), int8 = dir.File("int8.onnx");
        embedding.ExportOnnx(fp32);
        embedding.ExportOnnx(int8, quantizeInt8: true);
        var (weights32, weights8) = (OnnxInitializers.Read(fp32), OnnxInitializers.Read(int8));

        // A real activation: the fp32 graph's last hidden state on the test sentences (real tokens only), which is what the
        // attention projections and intermediate.dense see (a LayerNorm output); output.dense sees GELU(intermediate.dense(x)).
        var batch = OnnxEncoderFamilyExportTests.PaddedBatch(checkpoint, ScoringPrecisionTests.Sentences);
        var hidden = OnnxClassifierExportTests.Run(fp32, batch)["last_hidden_state"];
        int h = EncoderFixture.Hidden;
        var x = Enumerable.Range(0, batch.AttentionMask.Length).Where(i => batch.AttentionMask[i] == 1)
            .SelectMany(i => hidden.AsSpan(i * h, h).ToArray()).ToArray();

        var layers = weights8.Keys.Where(k => k.EndsWith(".weight_int8")).Select(k => k[..^".weight_int8".Length]).Order().ToArray();
        Assert.IsGreaterThan(0, layers.Length, "int8 layers in the export");
        int exportedSaturated = 0, eightBitSaturated = 0;
        double exportedWorst = 0, eightBitWorst = 0;
        foreach (var layer in layers)
        {
            var w = weights32[layer + ".weight_t"];                                  // (in, out) fp32
            var bias = weights32[layer + ".bias"].Floats();
            var input = w.Dims[0] == h ? x : Gelu(Reference(x, h, weights32, layer.Replace("output.dense", "intermediate.dense")));
            var reference = Reference(input, (int)w.Dims[0], weights32, layer);

            var exported = NonVnniLinear(input, weights8[layer + ".weight_int8"].SBytes(), weights8[layer + ".weight_scale"].Floats(), bias);
            var (w8, scale8) = EightBit(w.Floats(), (int)w.Dims[1]);
            var eightBit = NonVnniLinear(input, w8, scale8, bias);
            double exportedError = OnnxExportTests.RelativeError(exported.Output, reference);
            double eightBitError = OnnxExportTests.RelativeError(eightBit.Output, reference);
            Console.WriteLine($"{layer}: exported scheme {exported.SaturatedPairs} saturated pairs, rel err {exportedError:E2}; " +
                $"8-bit weights {eightBit.SaturatedPairs} saturated pairs, rel err {eightBitError:E2}");
            (exportedSaturated, eightBitSaturated) = (exportedSaturated + exported.SaturatedPairs, eightBitSaturated + eightBit.SaturatedPairs);
            (exportedWorst, eightBitWorst) = (Math.Max(exportedWorst, exportedError), Math.Max(eightBitWorst, eightBitError));
        }
        Console.WriteLine($"worst layer rel err without VNNI: exported {exportedWorst:E2}, 8-bit weights {eightBitWorst:E2}");
        Assert.AreEqual(0, exportedSaturated, "pairs of u8·s8 products beyond int16 with the exported weights");
        Assert.IsLessThan(5e-2, exportedWorst, "worst layer's relative error without VNNI");
        // The emulation is not vacuous: it reproduces what the AVX2 host saw with 8-bit weights.
        Assert.IsGreaterThan(0, eightBitSaturated, "8-bit weights saturate on this activation");
    }

    /// <summary>
    /// One dynamically quantized linear layer as ONNX Runtime computes it without VNNI: DynamicQuantizeLinear on
    /// <paramref name="x"/> (per tensor, u8, ONNX spec rounding), raw u8 × s8 products added in pairs into a saturating int16,
    /// pairs accumulated in int32, then − zp·Σw, × s_x·s_w, + b. <paramref name="w"/> is (in, out).
    /// </summary>
    private static (float[] Output, int SaturatedPairs) NonVnniLinear(float[] x, sbyte[] w, float[] wScale, float[] bias)
    {
        int outDim = wScale.Length, inDim = w.Length / outDim, rows = x.Length / inDim, saturated = 0;
        float min = Math.Min(0f, x.Min()), max = Math.Max(0f, x.Max()), scale = (max - min) / 255f;
        int zeroPoint = (int)Math.Clamp(MathF.Round(-min / scale, MidpointRounding.ToEven), 0, 255);
        var a = x.Select(v => (int)Math.Clamp(MathF.Round(v / scale, MidpointRounding.ToEven) + zeroPoint, 0, 255)).ToArray();
        var y = new float[rows * outDim];
        for (int o = 0; o < outDim; o++)
        {
            int columnSum = 0;
            for (int k = 0; k < inDim; k++) columnSum += w[k * outDim + o];
            for (int r = 0; r < rows; r++)
            {
                int accumulator = 0;
                for (int k = 0; k < inDim; k += 2)
                {
                    int pair = a[r * inDim + k] * w[k * outDim + o] + (k + 1 < inDim ? a[r * inDim + k + 1] * w[(k + 1) * outDim + o] : 0);
                    int clipped = Math.Clamp(pair, short.MinValue, short.MaxValue);     // vpmaddubsw saturates to int16
                    if (clipped != pair) saturated++;
                    accumulator += clipped;
                }
                y[r * outDim + o] = (accumulator - zeroPoint * columnSum) * scale * wScale[o] + bias[o];
            }
        }
        return (y, saturated);
    }

    // The former scheme: symmetric 8-bit weights in [−127, 127], one scale per output channel.
    private static (sbyte[] Weights, float[] Scales) EightBit(float[] w, int outDim)
    {
        int inDim = w.Length / outDim;
        var scales = Enumerable.Range(0, outDim)
            .Select(o => Math.Max(Enumerable.Range(0, inDim).Max(k => Math.Abs(w[k * outDim + o])), 1e-12f) / 127f).ToArray();
        return (w.Select((v, i) => (sbyte)Math.Clamp(MathF.Round(v / scales[i % outDim]), -127, 127)).ToArray(), scales);
    }

    // x W + b in double from the fp32 export's weight_t (in, out) and bias.
    private static float[] Reference(float[] x, int inDim, Dictionary<string, OnnxInitializer> weights32, string layer)
    {
        var w = weights32[layer + ".weight_t"].Floats();
        var bias = weights32[layer + ".bias"].Floats();
        int outDim = bias.Length, rows = x.Length / inDim;
        var y = new float[rows * outDim];
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < outDim; o++)
            {
                double sum = bias[o];
                for (int k = 0; k < inDim; k++) sum += (double)x[r * inDim + k] * w[k * outDim + o];
                y[r * outDim + o] = (float)sum;
            }
        return y;
    }

    // Exact GELU (the fixture's hidden_act): 0.5 · x · (1 + erf(x / √2)).
    private static float[] Gelu(float[] x) => x.Select(v => (float)(0.5 * v * (1 + Erf(v / Math.Sqrt(2))))).ToArray();

    // Abramowitz-Stegun 7.1.26 (|error| < 1.5e-7), enough for an activation fed to an 8-bit quantizer.
    private static double Erf(double v)
    {
        double t = 1 / (1 + 0.3275911 * Math.Abs(v));
        double y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.Exp(-v * v);
        return v < 0 ? -y : y;
    }
}
