using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transformers.Models.Bert;
using MLNet.Transformers.Tests.Checkpoints;
using MLNet.Transformers.Tests.Models;
using MLNet.Transformers.Tokenization;
using MLNet.Transformers.Transforms;
using static TorchSharp.torch;
using static MLNet.Transformers.Tests.Encoders.HfReference;

namespace MLNet.Transformers.Tests.Encoders;

/// <summary>
/// <c>TransformerEmbedding</c> on RoBERTa and DistilBERT checkpoints (real sentences and pairs, tokenized by the family's
/// tokenizer) equals HF's math (<see cref="HfReference"/>) for Cls / Mean / Pooler, and sentence-transformers folders are followed.
/// </summary>
[TestClass]
public sealed class EncoderEmbeddingTests
{
    private sealed class Row
    {
        public string Text { get; set; } = "";
        public string Second { get; set; } = "";
    }

    private static readonly Row[] Rows =
    [
        new() { Text = "Hello world", Second = "The cat sat on the mat." },
        new() { Text = "A gripping, funny and moving film.", Second = "world" },
        new() { Text = " Café naïve résumé — 東京 😀", Second = "it rains" },
    ];

    private static EncoderFixture roberta = null!, distilbert = null!;
    private static string robertaDir = null!, distilDir = null!;

    [ClassInitialize]
    public static void Create(TestContext _)
    {
        roberta = EncoderFineTuningTests.WithTokenizerVocabulary("roberta");
        robertaDir = roberta.Write("Pretrained");
        RobertaVocabulary.WriteTo(robertaDir);
        distilbert = EncoderFineTuningTests.WithTokenizerVocabulary("distilbert");
        distilDir = distilbert.Write("Model");
        foreach (var file in new[] { "vocab.txt", "tokenizer_config.json" })
            File.Copy(Path.Combine(BertParityTests.FixtureDirectory, file), Path.Combine(distilDir, file));
    }

    [ClassCleanup]
    public static void Remove() { roberta.Dispose(); distilbert.Dispose(); }

    private static float[][] Embed(string dir, EmbeddingPooling pooling, bool pairs = false, bool? normalize = null)
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Rows);
        using var t = ml.Transforms.Text.TransformerEmbedding(dir, "E", "Text", pairs ? "Second" : null, pooling, batchSize: 2, normalize: normalize).Fit(data);
        return t.Transform(data).GetColumn<VBuffer<float>>("E").Select(v => v.DenseValues().ToArray()).ToArray();
    }

    private static (Tensor Ids, Tensor Mask) Encoded(IEncoderTokenizer tokenizer, int row, bool pairs)
    {
        var e = tokenizer.Encode(Rows[row].Text, pairs ? Rows[row].Second : null);
        var ids = tensor(e.InputIds.Select(x => (long)x).ToArray()).unsqueeze(0);
        return (ids, ones_like(ids));
    }

    [TestMethod]
    [DataRow(EmbeddingPooling.Cls, false)]
    [DataRow(EmbeddingPooling.Mean, true)]
    [DataRow(EmbeddingPooling.Pooler, true)]
    public void Roberta_EqualsHuggingFaceMath(EmbeddingPooling pooling, bool pairs)
    {
        var embeddings = Embed(robertaDir, pooling, pairs);
        var tokenizer = RobertaBpeTokenizer.FromDirectory(robertaDir);
        for (int i = 0; i < Rows.Length; i++)
        {
            using var scope = NewDisposeScope();
            var (ids, mask) = Encoded(tokenizer, i, pairs);
            var (hidden, pooled) = Roberta(roberta.W, ids, mask);
            var expected = pooling switch { EmbeddingPooling.Cls => hidden[0, 0], EmbeddingPooling.Mean => hidden[0].mean([0L]), _ => pooled[0] };
            AssertClose(expected, tensor(embeddings[i]), $"row {i}");
        }
    }

    [TestMethod]
    [DataRow(EmbeddingPooling.Cls, true)]
    [DataRow(EmbeddingPooling.Mean, false)]
    public void DistilBert_EqualsHuggingFaceMath(EmbeddingPooling pooling, bool pairs)
    {
        var embeddings = Embed(distilDir, pooling, pairs);
        var tokenizer = BertWordPieceTokenizer.FromDirectory(distilDir);
        for (int i = 0; i < Rows.Length; i++)
        {
            using var scope = NewDisposeScope();
            var (ids, mask) = Encoded(tokenizer, i, pairs);
            var hidden = DistilBert(distilbert.W, ids, mask);
            AssertClose(pooling == EmbeddingPooling.Cls ? hidden[0, 0] : hidden[0].mean([0L]), tensor(embeddings[i]), $"row {i}");
        }
    }

    [TestMethod]
    public void Pooler_OnDistilBert_IsAnErrorNamingTheModelType()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Embed(distilDir, EmbeddingPooling.Pooler));
        StringAssert.Contains(e.Message, "distilbert");
    }

    [TestMethod]
    public void ModelSaveLoad_KeepsRobertaEmbeddings()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Rows);
        using var t = ml.Transforms.Text.TransformerEmbedding(robertaDir, "E", "Text", pooling: EmbeddingPooling.Mean).Fit(data);
        using var dir = new TempDirectory();
        ml.Model.Save(t, data.Schema, dir.File("model.zip"));
        var loaded = ml.Model.Load(dir.File("model.zip"), out _);
        float[][] Col(ITransformer x) => x.Transform(data).GetColumn<VBuffer<float>>("E").Select(v => v.DenseValues().ToArray()).ToArray();
        var before = Col(t); var after = Col(loaded);
        for (int i = 0; i < before.Length; i++) CollectionAssert.AreEqual(before[i], after[i]);
        (loaded as IDisposable)?.Dispose();
    }

    // A sentence-transformers folder: the BERT fixture at the root (module 0, path ""), 1_Pooling, 2_Normalize.
    internal static TempDirectory SentenceTransformersFolder(string mode, bool normalize)
    {
        var dir = new TempDirectory();
        foreach (var file in Directory.GetFiles(BertParityTests.FixtureDirectory).Where(f => !f.EndsWith("expected.json", StringComparison.Ordinal)))
            File.Copy(file, Path.Combine(dir.Path, Path.GetFileName(file)));
        var modules = "[{\"idx\":0,\"name\":\"0\",\"path\":\"\",\"type\":\"sentence_transformers.models.Transformer\"}," +
                      "{\"idx\":1,\"name\":\"1\",\"path\":\"1_Pooling\",\"type\":\"sentence_transformers.models.Pooling\"}" +
                      (normalize ? ",{\"idx\":2,\"name\":\"2\",\"path\":\"2_Normalize\",\"type\":\"sentence_transformers.models.Normalize\"}" : "") + "]";
        File.WriteAllText(dir.File("modules.json"), modules);
        Directory.CreateDirectory(dir.File("1_Pooling"));
        File.WriteAllText(Path.Combine(dir.File("1_Pooling"), "config.json"),
            $"{{\"word_embedding_dimension\": 32, \"pooling_mode_cls_token\": {(mode == "cls" ? "true" : "false")}, " +
            $"\"pooling_mode_mean_tokens\": {(mode == "mean" ? "true" : "false")}, \"pooling_mode_max_tokens\": {(mode == "max" ? "true" : "false")}, " +
            "\"pooling_mode_mean_sqrt_len_tokens\": false}");
        if (normalize) Directory.CreateDirectory(dir.File("2_Normalize"));
        File.WriteAllText(dir.File("sentence_bert_config.json"), "{\"max_seq_length\": 64, \"do_lower_case\": false}");
        return dir;
    }

    private static Tensor BertHidden(int row)
    {
        var tokenizer = BertWordPieceTokenizer.FromDirectory(BertParityTests.FixtureDirectory);
        using var encoder = BertCheckpoint.LoadEncoder(BertParityTests.FixtureDirectory);
        encoder.eval();
        var (ids, _) = Encoded(tokenizer, row, false);
        return encoder.forward(ids, zeros_like(ids), ones_like(ids)).LastHiddenState[0];  // (T, H)
    }

    [TestMethod]
    public void SentenceTransformersFolder_MeanAndNormalize_GivesUnitLengthMeanPooledVectors()
    {
        using var folder = SentenceTransformersFolder("mean", normalize: true);
        var embeddings = Embed(folder.Path, EmbeddingPooling.Default);
        for (int i = 0; i < Rows.Length; i++)
        {
            using var scope = NewDisposeScope();
            var mean = BertHidden(i).mean([0L]);
            AssertClose(mean / mean.norm(), tensor(embeddings[i]), $"row {i}");
            Assert.AreEqual(1.0, Math.Sqrt(embeddings[i].Sum(x => (double)x * x)), 1e-5);
        }
        // cos_sim of two normalised embeddings is their dot product, as sentence-transformers' encode + cos_sim.
        Assert.IsTrue(Math.Abs(embeddings[0].Zip(embeddings[1], (a, b) => (double)a * b).Sum()) <= 1.0 + 1e-6);
    }

    [TestMethod]
    [DataRow("max")]
    [DataRow("cls")]
    public void SentenceTransformersFolder_PoolingConfigIsHonoured(string mode)
    {
        using var folder = SentenceTransformersFolder(mode, normalize: false);
        var embeddings = Embed(folder.Path, EmbeddingPooling.Default);
        for (int i = 0; i < Rows.Length; i++)
        {
            using var scope = NewDisposeScope();
            var hidden = BertHidden(i);
            AssertClose(mode == "max" ? hidden.amax([0L]) : hidden[0], tensor(embeddings[i]), $"row {i}");
        }
        // An explicit pooling overrides the folder's.
        var explicitMean = Embed(folder.Path, EmbeddingPooling.Mean);
        using (NewDisposeScope()) AssertClose(BertHidden(0).mean([0L]), tensor(explicitMean[0]), "explicit mean");
    }

    [TestMethod]
    public void Normalize_WorksOnAnyCheckpoint()
    {
        var embeddings = Embed(distilDir, EmbeddingPooling.Mean, normalize: true);
        foreach (var e in embeddings) Assert.AreEqual(1.0, Math.Sqrt(e.Sum(x => (double)x * x)), 1e-5);
        var plain = Embed(distilDir, EmbeddingPooling.Mean);
        Assert.AreNotEqual(1.0, Math.Sqrt(plain[0].Sum(x => (double)x * x)), 1e-3);
    }

    [TestMethod]
    public void SentenceTransformersFolder_UnsupportedModuleIsNamed()
    {
        using var folder = SentenceTransformersFolder("mean", normalize: false);
        File.WriteAllText(folder.File("modules.json"), "[{\"idx\":0,\"path\":\"\",\"type\":\"sentence_transformers.models.Transformer\"},{\"idx\":1,\"path\":\"2_Dense\",\"type\":\"sentence_transformers.models.Dense\"}]");
        var e = Assert.Throws<NotSupportedException>(() => Embed(folder.Path, EmbeddingPooling.Default));
        StringAssert.Contains(e.Message, "Dense");
    }
}
