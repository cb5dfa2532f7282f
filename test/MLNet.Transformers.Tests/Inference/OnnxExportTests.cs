using Microsoft.ML;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MLNet.Transformers.Models.Bert;
using MLNet.Transformers.Tests.Checkpoints;
using MLNet.Transformers.Tests.Models;
using MLNet.Transformers.Tokenization;
using MLNet.Transformers.Transforms;
using static TorchSharp.torch;

namespace MLNet.Transformers.Tests.Inference;

[TestClass]
public sealed class OnnxExportTests
{
    private static string Fixture => BertParityTests.FixtureDirectory;

    /// <summary>Runs an exported model in ONNX Runtime on a tokenized batch: (last_hidden_state, embedding), flattened.</summary>
    internal static (float[] Hidden, float[] Embedding) RunOnnx(string path, EncodedTextBatch batch)
    {
        using var session = new InferenceSession(path);
        int[] shape = [batch.BatchSize, batch.SequenceLength];
        var inputs = new[]
        {
            NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(batch.InputIds, shape)),
            NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(batch.AttentionMask, shape)),
            NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(batch.TokenTypeIds, shape)),
        };
        using var results = session.Run(inputs);
        return (results.First(r => r.Name == "last_hidden_state").AsTensor<float>().ToArray(),
                results.First(r => r.Name == "embedding").AsTensor<float>().ToArray());
    }

    /// <summary>Our TorchSharp encoder's last hidden state for the same batch, flattened.</summary>
    private static float[] TorchHidden(string checkpoint, EncodedTextBatch batch)
    {
        using var scope = NewDisposeScope();
        using var encoder = BertCheckpoint.LoadEncoder(checkpoint, withPooler: false);
        encoder.eval();
        var shape = new long[] { batch.BatchSize, batch.SequenceLength };
        return encoder.forward(tensor(batch.InputIds, shape), tensor(batch.TokenTypeIds, shape), tensor(batch.AttentionMask, shape))
            .LastHiddenState.contiguous().data<float>().ToArray();
    }

    internal static double MaxAbs(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max();

    internal static double RelativeError(float[] a, float[] reference) =>
        Math.Sqrt(a.Zip(reference, (x, y) => (double)(x - y) * (x - y)).Sum() / reference.Sum(y => (double)y * y));

    private static TransformerEmbeddingTransformer Embedding(string checkpoint, EmbeddingPooling pooling)
    {
        var ml = new MLContext(seed: 1);
        var settings = new TransformerEmbeddingSettings("E", "Text", null, pooling, 128, 8);
        return ml.Transforms.Text.TransformerEmbedding(checkpoint, settings).Fit(ml.Data.LoadFromEnumerable(new[] { new { Text = "" } }));
    }

    [TestMethod]
    [DataRow(EmbeddingPooling.Cls)]
    [DataRow(EmbeddingPooling.Mean)]
    [DataRow(EmbeddingPooling.Pooler)]
    public void Export_RunsInOnnxRuntimeAndMatchesTorchSharpWithin1e4(EmbeddingPooling pooling)
    {
        using var dir = new TempDirectory();
        using var transformer = Embedding(Fixture, pooling);
        var path = Path.Combine(dir.Path, "encoder.onnx");
        transformer.ExportOnnx(path);

        var batch = BertWordPieceTokenizer.FromDirectory(Fixture).EncodeBatch(ScoringPrecisionTests.Sentences, null, 128);
        var (hidden, embedding) = RunOnnx(path, batch);
        Assert.IsLessThan(1e-4, MaxAbs(hidden, TorchHidden(Fixture, batch)), "last_hidden_state");
        var expected = transformer.Embed(ScoringPrecisionTests.Sentences).SelectMany(e => e).ToArray();
        Assert.IsLessThan(1e-4, MaxAbs(embedding, expected), $"{pooling} embedding");
    }

    [TestMethod]
    public void Int8Export_IsSmallerAndCloseToFp32_OnFixtureAndLargerModel()
    {
        using var dir = new TempDirectory();
        var larger = Path.Combine(dir.Path, "larger");
        var config = BertCheckpoint.ReadConfig(Fixture) with { HiddenSize = 256, NumHiddenLayers = 4, NumAttentionHeads = 4, IntermediateSize = 1024 };
        manual_seed(11);
        using (var init = new BertModel(config))
        {
            BertInitializer.Initialize(init, config);
            BertCheckpoint.Save(init, config, larger, "BertModel");
        }
        File.Copy(Path.Combine(Fixture, "vocab.txt"), Path.Combine(larger, "vocab.txt"));

        foreach (var checkpoint in new[] { Fixture, larger })
        {
            using var transformer = Embedding(checkpoint, EmbeddingPooling.Mean);
            string fp32 = Path.Combine(dir.Path, "fp32.onnx"), int8 = Path.Combine(dir.Path, "int8.onnx");
            transformer.ExportOnnx(fp32);
            transformer.ExportOnnx(int8, quantizeInt8: true);
            var batch = transformer.Tokenizer.EncodeBatch(ScoringPrecisionTests.Sentences, null, 128);
            var (h32, e32) = RunOnnx(fp32, batch);
            var (h8, e8) = RunOnnx(int8, batch);
            double hiddenError = RelativeError(h8, h32), embeddingError = RelativeError(e8, e32);
            double sizeRatio = (double)new FileInfo(int8).Length / new FileInfo(fp32).Length;
            Console.WriteLine($"{Path.GetFileName(checkpoint)}: int8 size {sizeRatio:P0} of fp32, hidden rel err {hiddenError:E2}, embedding rel err {embeddingError:E2}, max abs {MaxAbs(e8, e32):E2}");
            Assert.IsLessThan(1.0, sizeRatio);
            Assert.IsLessThan(5e-2, hiddenError);
            Assert.IsLessThan(5e-2, embeddingError);
        }
    }
}
