using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transformers.Estimators;
using MLNet.Transformers.Inference;
using MLNet.Transformers.Models.Bert;
using MLNet.Transformers.Tests.Checkpoints;
using MLNet.Transformers.Tests.Models;
using MLNet.Transformers.Tokenization;
using MLNet.Transformers.Transforms;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Transformers.Tests.Inference;

[TestClass]
public sealed class ScoringPrecisionTests
{
    // Real sentences (SST-2 dev) of mixed lengths, so padding and masking are exercised too.
    internal static readonly string[] Sentences =
    [
        "it 's a charming and often affecting journey .",
        "unflinchingly bleak and desperate",
        "allows us to hope that nolan is poised to embark a major career as a commercial yet inventive filmmaker .",
        "the acting , costumes , music , cinematography and sound are all astounding given the production 's austere locales .",
        "it 's slow -- very , very slow .",
        "although laced with humor and a few fanciful touches , the film is a refreshingly serious look at young women .",
        "a sometimes tedious film .",
        "or doing last year 's taxes with your ex-wife .",
    ];

    private static string Fixture => BertParityTests.FixtureDirectory;

    private static double RelativeError(Tensor actual, Tensor expected) =>
        ((actual.to(ScalarType.Float32) - expected).norm() / expected.norm()).item<float>();

    // Relative error of the last hidden state (over real tokens) of a bf16-prepared copy of the model, and of the model cast wholly to bf16.
    private static (double Mixed, double CastAll) Errors(Func<BertModel> load, EncodedTextBatch batch)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var shape = new long[] { batch.BatchSize, batch.SequenceLength };
        var (ids, types, mask) = (tensor(batch.InputIds, shape), tensor(batch.TokenTypeIds, shape), tensor(batch.AttentionMask, shape));
        var real = mask.to(ScalarType.Bool).unsqueeze(-1);
        Tensor Run(BertModel m) => m.forward(ids, types, mask).LastHiddenState.to(ScalarType.Float32).masked_select(real);
        using var f32 = load(); f32.eval();
        using var mixed = load(); mixed.eval();
        ScoringPrecision.Apply(mixed, Precision.BFloat16);
        using var all = load(); all.eval();
        all.to(ScalarType.BFloat16);
        var reference = Run(f32);
        return (RelativeError(Run(mixed), reference), RelativeError(Run(all), reference));
    }

    [TestMethod]
    public void Bf16_OnTheFixture_StaysWithin1e2OfFp32AndBeatsCastingEverything()
    {
        var tokenizer = BertWordPieceTokenizer.FromDirectory(Fixture);
        var (mixed, castAll) = Errors(() => BertCheckpoint.LoadEncoder(Fixture), tokenizer.EncodeBatch(Sentences, null, 128));
        Console.WriteLine($"fixture: bf16 scoring {mixed:E2}, whole model cast to bf16 {castAll:E2}");
        Assert.IsLessThan(1e-2, mixed);
        Assert.IsLessThan(castAll, mixed, "keeping LayerNorm/residuals in fp32 must be more accurate than casting the whole model");
    }

    [TestMethod]
    public void Bf16_OnALargerRandomModel_StaysWithin1e2OfFp32()
    {
        var config = new BertConfig { VocabSize = 1000, HiddenSize = 256, NumHiddenLayers = 6, NumAttentionHeads = 4, IntermediateSize = 1024 };
        var ids = new long[8 * 64];
        var mask = new long[ids.Length];
        var random = new Random(5);
        for (int i = 0; i < ids.Length; i++) { ids[i] = random.Next(5, 1000); mask[i] = i % 64 < 16 + 6 * (i / 64) ? 1 : 0; }
        var batch = new EncodedTextBatch(ids, new long[ids.Length], mask, 8, 64, []);
        using var scope = NewDisposeScope();
        var state = new Dictionary<string, Tensor>();
        manual_seed(3);
        using (var init = new BertModel(config, addPoolingLayer: false))
        {
            BertInitializer.Initialize(init, config);
            foreach (var (k, v) in init.state_dict()) state[k] = v.clone();
        }
        BertModel Load() { var m = new BertModel(config, addPoolingLayer: false); m.load_state_dict(state); return m; }
        var (mixed, castAll) = Errors(Load, batch);
        Console.WriteLine($"hidden 256 x 6 layers: bf16 scoring {mixed:E2}, whole model cast to bf16 {castAll:E2}");
        Assert.IsLessThan(1e-2, mixed);
        Assert.IsLessThan(castAll, mixed);
    }

    [TestMethod]
    public void Bf16_DistilBert_RunsAttentionAndFeedForwardExpansionInBf16WithinBound()
    {
        foreach (var name in new[] { "distilbert.transformer.layer.0.attention.q_lin", "transformer.layer.5.attention.k_lin",
                     "distilbert.transformer.layer.1.attention.v_lin", "distilbert.transformer.layer.1.ffn.lin1" })
            Assert.IsTrue(ScoringPrecision.FeedsBf16Work(name), name);
        foreach (var name in new[] { "distilbert.transformer.layer.0.attention.out_lin", "distilbert.transformer.layer.0.ffn.lin2", "pre_classifier", "classifier" })
            Assert.IsFalse(ScoringPrecision.FeedsBf16Work(name), name);

        var config = new MLNet.Transformers.Models.DistilBert.DistilBertConfig { VocabSize = 1000, Dim = 256, NLayers = 6, NHeads = 4, HiddenDim = 1024 };
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var random = new Random(7);
        var ids = tensor(Enumerable.Range(0, 8 * 64).Select(_ => (long)random.Next(5, 1000)).ToArray(), [8, 64]);
        var mask = tensor(Enumerable.Range(0, 8 * 64).Select(i => i % 64 < 16 + 6 * (i / 64) ? 1L : 0L).ToArray(), [8, 64]);
        var real = mask.to(ScalarType.Bool).unsqueeze(-1);
        manual_seed(4);
        using var f32 = new MLNet.Transformers.Models.DistilBert.DistilBertModel(config); f32.eval();
        using var mixed = new MLNet.Transformers.Models.DistilBert.DistilBertModel(config); mixed.eval();
        mixed.load_state_dict(f32.state_dict());
        ScoringPrecision.Apply(mixed, Precision.BFloat16);
        // The attention projections now hand bf16 to scaled_dot_product_attention (no cast back to fp32 in between).
        var qLin = mixed.named_modules().Single(m => m.name.EndsWith("layer.0.attention.q_lin")).module;
        ScalarType? seen = null;
        ((nn.Module<Tensor, Tensor>)qLin).register_forward_hook((_, _, output) => { seen = output.dtype; return output; });
        Tensor Run(MLNet.Transformers.Models.DistilBert.DistilBertModel m) =>
            m.forward(ids, zeros_like(ids), mask).LastHiddenState.to(ScalarType.Float32).masked_select(real);
        double error = RelativeError(Run(mixed), Run(f32));
        // The hook runs on the plain path; the packed path (PackedBf16Linear, where the host has it) bypasses hooks.
        PackedBf16Linear.Enabled = false;
        double plainError;
        try { plainError = RelativeError(Run(mixed), Run(f32)); }
        finally { PackedBf16Linear.Enabled = true; }
        Console.WriteLine($"DistilBERT 256 x 6 layers: bf16 scoring {error:E2} (plain linears {plainError:E2})");
        Assert.AreEqual(ScalarType.BFloat16, seen);
        Assert.IsLessThan(1e-2, error);
        Assert.IsLessThan(1e-2, plainError);
    }

    [TestMethod]
    public void Bf16_ResidualProjectionsStayBf16_AndTheAddPromotesExactlyAsACastWould()
    {
        foreach (var name in new[] { "bert.encoder.layer.0.attention.output.dense", "encoder.layer.1.output.dense",
                     "roberta.encoder.layer.3.output.dense", "distilbert.transformer.layer.0.attention.out_lin", "transformer.layer.2.ffn.lin2" })
            Assert.IsTrue(ScoringPrecision.FeedsResidualSum(name), name);
        foreach (var name in new[] { "bert.pooler.dense", "cls.predictions.transform.dense", "classifier.dense", "classifier.out_proj",
                     "bert.encoder.layer.0.intermediate.dense", "pre_classifier", "transformer.h.0.mlp.c_proj", "qa_outputs" })
            Assert.IsFalse(ScoringPrecision.FeedsResidualSum(name), name);

        // Same model, bf16 scoring with the residual projections handing back bf16 (default) or casting to fp32 first:
        // the hidden states must be bit-identical (fp32 + bf16 promotes the bf16 operand exactly).
        var tokenizer = BertWordPieceTokenizer.FromDirectory(Fixture);
        var batch = tokenizer.EncodeBatch(Sentences, null, 128);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var shape = new long[] { batch.BatchSize, batch.SequenceLength };
        var (ids, types, mask) = (tensor(batch.InputIds, shape), tensor(batch.TokenTypeIds, shape), tensor(batch.AttentionMask, shape));
        using var promoted = BertCheckpoint.LoadEncoder(Fixture); promoted.eval();
        using var cast = BertCheckpoint.LoadEncoder(Fixture); cast.eval();
        ScoringPrecision.Apply(promoted, Precision.BFloat16);
        ScoringPrecision.Apply(cast, Precision.BFloat16, ScoringPrecision.FeedsBf16Work);
        var a = promoted.forward(ids, types, mask).LastHiddenState;
        var b = cast.forward(ids, types, mask).LastHiddenState;
        Assert.AreEqual(ScalarType.Float32, a.dtype);
        Assert.IsTrue(a.eq(b).all().item<bool>(), "promotion in the residual add must equal an explicit cast");
    }

    [TestMethod]
    public void Bf16_KeepsLayerNormAndEmbeddingsInFp32AndOnlyLinearWeightsInBf16()
    {
        using var model = BertCheckpoint.LoadEncoder(Fixture);
        ScoringPrecision.Apply(model, Precision.BFloat16);
        foreach (var (name, p) in model.named_parameters())
        {
            bool linear = name.EndsWith("dense.weight") || name.EndsWith("dense.bias") || name.Contains("attention.self.");
            Assert.AreEqual(linear ? ScalarType.BFloat16 : ScalarType.Float32, p.dtype, name);
        }
    }

    [TestMethod]
    public void EmbeddingTransform_Bf16IsCloseToFp32AndPrecisionSurvivesSaveLoad()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Sentences.Select(s => new TextRow { Text = s }));
        TransformerEmbeddingSettings Settings(Precision p) => new("E", "Text", null, EmbeddingPooling.Mean, 128, 4, Precision: p);
        using var f32 = ml.Transforms.Text.TransformerEmbedding(Fixture, Settings(Precision.Float32)).Fit(data);
        using var bf16 = ml.Transforms.Text.TransformerEmbedding(Fixture, Settings(Precision.BFloat16)).Fit(data);
        var expected = Embeddings(f32.Transform(data));
        var actual = Embeddings(bf16.Transform(data));
        Assert.IsLessThan(1e-2, RelativeError(tensor(actual.SelectMany(x => x).ToArray()), tensor(expected.SelectMany(x => x).ToArray())));

        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "model.zip");
        ml.Model.Save(bf16, data.Schema, path);
        var loaded = (TransformerEmbeddingTransformer)ml.Model.Load(path, out _);
        using (loaded)
        {
            Assert.AreEqual(Precision.BFloat16, loaded.Settings.Precision);
            var again = Embeddings(loaded.Transform(data));
            for (int i = 0; i < actual.Length; i++) CollectionAssert.AreEqual(actual[i], again[i], $"row {i}: a reloaded bf16 model must score identically");
        }
    }

    [TestMethod]
    public void FillMask_Bf16ScoresAreCloseToFp32()
    {
        var texts = new[] { "the cat sat on the [MASK] .", "a [MASK] and often affecting [MASK] ." };
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(texts.Select(t => new TextRow { Text = t }));
        FillMaskTransformer Load(Precision p) => ml.Transforms.Text.PretrainMaskedLanguageModel(
            new MaskedLanguageModelOptions { CheckpointDirectory = Fixture, MaxEpochs = 0, TopK = 5, Precision = p }).Fit(data);
        using var f32 = Load(Precision.Float32);
        using var bf16 = Load(Precision.BFloat16);
        Assert.AreEqual(Precision.BFloat16, bf16.Settings.Precision);
        var expected = f32.Predict(texts);
        var actual = bf16.Predict(texts);
        for (int row = 0; row < texts.Length; row++)
        {
            Assert.HasCount(expected[row].Scores.Length, actual[row].Scores);
            Assert.AreEqual(expected[row].Tokens[0], actual[row].Tokens[0], $"row {row}: top-1 token");
            for (int j = 0; j < expected[row].Scores.Length; j++)
                Assert.AreEqual(expected[row].Scores[j], actual[row].Scores[j], 2e-3, $"row {row} candidate {j}");
        }
    }

    private static float[][] Embeddings(IDataView view) => view.GetColumn<VBuffer<float>>("E").Select(v => v.DenseValues().ToArray()).ToArray();

    private sealed class TextRow { public string Text { get; set; } = ""; }
}
