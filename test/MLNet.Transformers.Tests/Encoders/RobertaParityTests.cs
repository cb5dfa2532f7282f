using MLNet.Transformers.Models;
using MLNet.Transformers.Models.Roberta;
using static TorchSharp.torch;
using static MLNet.Transformers.Tests.Encoders.HfReference;

namespace MLNet.Transformers.Tests.Encoders;

/// <summary>
/// RoBERTa against <see cref="HfReference"/> (modeling_roberta.py's math in float64) on a tiny random checkpoint in HF layout:
/// encoder with and without pooler, each head, on a batch with a full row, a right-padded row and a left-padded row
/// (RoBERTa's positions skip padding, so the left-padded row must equal the right-padded one).
/// </summary>
[TestClass]
public sealed class RobertaParityTests
{
    private static EncoderFixture fixture = null!;

    [ClassInitialize]
    public static void Create(TestContext _) => fixture = EncoderFixture.Roberta();

    [ClassCleanup]
    public static void Remove() => fixture.Dispose();

    // <s>=0 … </s>=2, padding = 1.
    internal static (Tensor Ids, Tensor Mask) Batch()
    {
        long[,] ids = { { 0, 17, 45, 9, 88, 23, 61, 2 }, { 0, 31, 52, 70, 2, 1, 1, 1 }, { 1, 1, 1, 0, 31, 52, 70, 2 } };
        var t = tensor(ids.Cast<long>().ToArray(), [3, 8]);
        return (t, t.ne(1).to(ScalarType.Int64));
    }

    [TestMethod]
    public void Encoder_MatchesHuggingFace_WithPaddingOnEitherSide()
    {
        var (ids, mask) = Batch();
        using var model = RobertaCheckpoint.LoadEncoder(fixture.Write("Pretrained"), withPooler: true);
        model.eval();
        using var scope = NewDisposeScope();
        var output = model.forward(ids, zeros_like(ids), mask);
        var (hidden, pooled) = Roberta(fixture.W, ids, mask);
        AssertClose(hidden, output.LastHiddenState, "last_hidden_state");
        AssertClose(pooled, output.PoolerOutput!, "pooler_output");
        AssertClose(output.LastHiddenState[1, ..5], output.LastHiddenState[2, 3..], "left-padded row = right-padded row");
        Assert.AreEqual(38, model.MaxPositions);   // 40 positions - pad_token_id - 1
    }

    [TestMethod]
    public void BareEncoderCheckpoint_WithoutPrefix_AndWithoutPooler_Loads()
    {
        var (ids, mask) = Batch();
        using var model = (RobertaModel)EncoderCheckpoint.LoadEncoder(fixture.Write("Model"), withPooler: false);
        model.eval();
        using var scope = NewDisposeScope();
        AssertClose(Roberta(fixture.W, ids, mask).Hidden, model.forward(ids, zeros_like(ids), mask).LastHiddenState, "last_hidden_state");
    }

    [TestMethod]
    public void PoolerOnACheckpointWithoutOne_IsAnErrorNamingTheModelType()
    {
        var e = Assert.Throws<InvalidOperationException>(() => EncoderCheckpoint.LoadEncoder(fixture.Write("SequenceClassification", withPooler: false), withPooler: true));
        StringAssert.Contains(e.Message, "roberta");
    }

    [TestMethod]
    public void SequenceClassification_MatchesHuggingFace()
    {
        var (ids, mask) = Batch();
        using var model = EncoderCheckpoint.LoadForSequenceClassification(fixture.Write("SequenceClassification", withPooler: false), 3, requireHead: true);
        model.eval();
        using var scope = NewDisposeScope();
        var expected = RobertaSequenceLogits(fixture.W, Roberta(fixture.W, ids, mask).Hidden);
        AssertClose(expected, model.forward(ids, zeros_like(ids), mask), "sequence logits");
        Assert.AreEqual(3, EncoderCheckpoint.ReadInfo(fixture.Write("SequenceClassification", withPooler: false)).HeadOutputs);
    }

    [TestMethod]
    public void TokenClassification_MatchesHuggingFace()
    {
        var (ids, mask) = Batch();
        using var model = EncoderCheckpoint.LoadForTokenClassification(fixture.Write("TokenClassification", withPooler: false), 3, requireHead: true);
        model.eval();
        using var scope = NewDisposeScope();
        var expected = TokenLogits(fixture.W, "token.classifier", Roberta(fixture.W, ids, mask).Hidden);
        AssertClose(expected, model.forward(ids, zeros_like(ids), mask), "token logits");
    }

    [TestMethod]
    public void QuestionAnswering_MatchesHuggingFace()
    {
        var (ids, mask) = Batch();
        using var model = RobertaCheckpoint.LoadForQuestionAnswering(fixture.Write("QuestionAnswering", withPooler: false), requireHead: true);
        model.eval();
        using var scope = NewDisposeScope();
        var expected = TokenLogits(fixture.W, "qa_outputs", Roberta(fixture.W, ids, mask).Hidden);
        var spans = model.forward(ids, zeros_like(ids), mask);
        AssertClose(expected[.., .., 0], spans.Start, "start logits");
        AssertClose(expected[.., .., 1], spans.End, "end logits");
    }

    [TestMethod]
    public void MaskedLM_MatchesHuggingFace_AndSelectsMaskedPositions()
    {
        var (ids, mask) = Batch();
        using var model = RobertaCheckpoint.LoadForMaskedLM(fixture.Write("MaskedLM", withPooler: false));
        model.eval();
        using var scope = NewDisposeScope();
        var expected = RobertaMlmLogits(fixture.W, Roberta(fixture.W, ids, mask).Hidden);
        AssertClose(expected, model.forward(ids, zeros_like(ids), mask), "mlm logits");
        var selected = zeros(ids.shape, ScalarType.Bool);
        selected[0, 3] = tensor(true); selected[2, 5] = tensor(true);
        var picked = model.forward(ids, zeros_like(ids), mask, selected);
        AssertClose(expected[2, 5], picked[1], "selected row");
    }

    [TestMethod]
    public void SavedTaskModels_ReloadToTheSameOutputs_InHuggingFaceLayout()
    {
        var (ids, mask) = Batch();
        using var model = EncoderCheckpoint.LoadForSequenceClassification(fixture.Write("SequenceClassification", withPooler: false), 3, requireHead: true);
        model.eval();
        using var dir = new Checkpoints.TempDirectory();
        model.SaveCheckpoint(dir.Path, new ClassifierLabels(["a", "b", "c"]));
        var keys = MLNet.Transformers.Checkpoints.CheckpointLoader.LoadStateDict(dir.Path).Keys.ToHashSet();
        Assert.IsTrue(keys.Contains("roberta.embeddings.position_embeddings.weight") && keys.Contains("classifier.out_proj.weight") && keys.Contains("classifier.dense.bias"));
        Assert.IsFalse(keys.Any(k => k.Contains("pooler")));
        StringAssert.Contains(File.ReadAllText(Path.Combine(dir.Path, "config.json")), "RobertaForSequenceClassification");
        using var reloaded = EncoderCheckpoint.LoadForSequenceClassification(dir.Path, 3, requireHead: true);
        reloaded.eval();
        using var scope = NewDisposeScope();
        AssertClose(model.forward(ids, zeros_like(ids), mask), reloaded.forward(ids, zeros_like(ids), mask), "reloaded", 1e-6);

        using var mlm = RobertaCheckpoint.LoadForMaskedLM(fixture.Write("MaskedLM", withPooler: false));
        using var mlmDir = new Checkpoints.TempDirectory();
        mlm.SaveCheckpoint(mlmDir.Path);
        var mlmKeys = MLNet.Transformers.Checkpoints.CheckpointLoader.LoadStateDict(mlmDir.Path).Keys.ToHashSet();
        Assert.IsTrue(mlmKeys.Contains("lm_head.bias") && mlmKeys.Contains("lm_head.layer_norm.weight") && !mlmKeys.Contains("lm_head.decoder.weight"));
    }

    [TestMethod]
    public void MissingOrUnexpectedKeys_AreListed()
    {
        using var dir = new Checkpoints.TempDirectory();
        var source = fixture.Write("SequenceClassification", withPooler: false);
        File.Copy(Path.Combine(source, "config.json"), Path.Combine(dir.Path, "config.json"));
        var tensors = MLNet.Transformers.Checkpoints.CheckpointLoader.LoadStateDict(source);
        tensors.Remove("roberta.encoder.layer.1.output.dense.bias");
        tensors["roberta.encoder.layer.9.output.dense.bias"] = zeros(3);
        MLNet.Transformers.Checkpoints.CheckpointLoader.SaveStateDict(dir.Path, tensors);
        var e = Assert.Throws<InvalidOperationException>(() => RobertaCheckpoint.LoadForSequenceClassification(dir.Path, 3));
        StringAssert.Contains(e.Message, "roberta.encoder.layer.1.output.dense.bias");
        StringAssert.Contains(e.Message, "roberta.encoder.layer.9.output.dense.bias");
    }
}
