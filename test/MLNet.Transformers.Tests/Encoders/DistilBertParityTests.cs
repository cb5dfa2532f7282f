using MLNet.Transformers.Models;
using MLNet.Transformers.Models.DistilBert;
using static TorchSharp.torch;
using static MLNet.Transformers.Tests.Encoders.HfReference;

namespace MLNet.Transformers.Tests.Encoders;

/// <summary>
/// DistilBERT against <see cref="HfReference"/> (modeling_distilbert.py's math in float64) on a tiny random checkpoint in HF
/// layout: encoder (bare, without the <c>distilbert.</c> prefix, and inside task models) and every head, on a padded batch.
/// </summary>
[TestClass]
public sealed class DistilBertParityTests
{
    private static EncoderFixture fixture = null!;

    [ClassInitialize]
    public static void Create(TestContext _) => fixture = EncoderFixture.DistilBert();

    [ClassCleanup]
    public static void Remove() => fixture.Dispose();

    // [CLS]=2 … [SEP]=3 in this vocabulary; padding = 0.
    private static (Tensor Ids, Tensor Mask) Batch()
    {
        long[,] ids = { { 2, 17, 45, 9, 88, 23, 61, 3 }, { 2, 31, 52, 70, 3, 0, 0, 0 } };
        var t = tensor(ids.Cast<long>().ToArray(), [2, 8]);
        return (t, t.ne(0).to(ScalarType.Int64));
    }

    [TestMethod]
    public void Encoder_MatchesHuggingFace_BareAndPrefixed()
    {
        var (ids, mask) = Batch();
        using var scope = NewDisposeScope();
        var expected = DistilBert(fixture.W, ids, mask);
        foreach (var kind in new[] { "Model", "Pretrained" })
        {
            using var model = (DistilBertModel)EncoderCheckpoint.LoadEncoder(fixture.Write(kind), withPooler: false);
            model.eval();
            AssertClose(expected, model.forward(ids, ones_like(ids), mask).LastHiddenState, kind + " last_hidden_state"); // token types ignored
        }
    }

    [TestMethod]
    public void Pooler_IsAnErrorNamingTheModelType()
    {
        var e = Assert.Throws<InvalidOperationException>(() => EncoderCheckpoint.LoadEncoder(fixture.Write("Model"), withPooler: true));
        StringAssert.Contains(e.Message, "distilbert");
    }

    [TestMethod]
    public void SequenceClassification_MatchesHuggingFace()
    {
        var (ids, mask) = Batch();
        using var model = EncoderCheckpoint.LoadForSequenceClassification(fixture.Write("SequenceClassification"), 3, requireHead: true);
        model.eval();
        using var scope = NewDisposeScope();
        AssertClose(DistilBertSequenceLogits(fixture.W, DistilBert(fixture.W, ids, mask)), model.forward(ids, zeros_like(ids), mask), "sequence logits");
    }

    [TestMethod]
    public void TokenClassification_MatchesHuggingFace()
    {
        var (ids, mask) = Batch();
        using var model = EncoderCheckpoint.LoadForTokenClassification(fixture.Write("TokenClassification"), 3, requireHead: true);
        model.eval();
        using var scope = NewDisposeScope();
        AssertClose(TokenLogits(fixture.W, "token.classifier", DistilBert(fixture.W, ids, mask)), model.forward(ids, zeros_like(ids), mask), "token logits");
    }

    [TestMethod]
    public void QuestionAnswering_MatchesHuggingFace()
    {
        var (ids, mask) = Batch();
        using var model = DistilBertCheckpoint.LoadForQuestionAnswering(fixture.Write("QuestionAnswering"), requireHead: true);
        model.eval();
        using var scope = NewDisposeScope();
        var expected = TokenLogits(fixture.W, "qa_outputs", DistilBert(fixture.W, ids, mask));
        var spans = model.forward(ids, zeros_like(ids), mask);
        AssertClose(expected[.., .., 0], spans.Start, "start logits");
        AssertClose(expected[.., .., 1], spans.End, "end logits");
    }

    [TestMethod]
    public void MaskedLM_MatchesHuggingFace()
    {
        var (ids, mask) = Batch();
        using var model = DistilBertCheckpoint.LoadForMaskedLM(fixture.Write("MaskedLM"));
        model.eval();
        using var scope = NewDisposeScope();
        AssertClose(DistilBertMlmLogits(fixture.W, DistilBert(fixture.W, ids, mask)), model.forward(ids, zeros_like(ids), mask), "mlm logits");
    }

    [TestMethod]
    public void SavedModels_ReloadToTheSameOutputs_InHuggingFaceLayout()
    {
        var (ids, mask) = Batch();
        using var model = EncoderCheckpoint.LoadForSequenceClassification(fixture.Write("SequenceClassification"), 3, requireHead: true);
        model.eval();
        using var dir = new Checkpoints.TempDirectory();
        model.SaveCheckpoint(dir.Path, new ClassifierLabels(["NEGATIVE", "NEUTRAL", "POSITIVE"]));
        var keys = MLNet.Transformers.Checkpoints.CheckpointLoader.LoadStateDict(dir.Path).Keys.ToHashSet();
        Assert.IsTrue(keys.Contains("distilbert.transformer.layer.1.ffn.lin2.weight") && keys.Contains("pre_classifier.weight") && keys.Contains("classifier.bias"));
        var config = File.ReadAllText(Path.Combine(dir.Path, "config.json"));
        StringAssert.Contains(config, "DistilBertForSequenceClassification");
        StringAssert.Contains(config, "POSITIVE");
        Assert.AreEqual("NEUTRAL", EncoderCheckpoint.ReadInfo(dir.Path).Id2Label![1]);
        using var reloaded = EncoderCheckpoint.LoadForSequenceClassification(dir.Path, 3, requireHead: true);
        reloaded.eval();
        using var scope = NewDisposeScope();
        AssertClose(model.forward(ids, zeros_like(ids), mask), reloaded.forward(ids, zeros_like(ids), mask), "reloaded", 1e-6);

        using var mlm = DistilBertCheckpoint.LoadForMaskedLM(fixture.Write("MaskedLM"));
        using var mlmDir = new Checkpoints.TempDirectory();
        mlm.SaveCheckpoint(mlmDir.Path);
        var mlmKeys = MLNet.Transformers.Checkpoints.CheckpointLoader.LoadStateDict(mlmDir.Path).Keys.ToHashSet();
        Assert.IsTrue(mlmKeys.Contains("vocab_projector.bias") && mlmKeys.Contains("vocab_layer_norm.weight") && !mlmKeys.Contains("vocab_projector.weight"));
    }
}
