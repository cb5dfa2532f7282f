using MLNet.Transformers.Models.Bert;
using static TorchSharp.torch;

namespace MLNet.Transformers.Tests.Models;

/// <summary>HF's own test recipe: a tiny config (vocab 99, hidden 32, 2 layers, 4 heads) and the shape of every head.</summary>
[TestClass]
public sealed class BertModelShapeTests
{
    private static readonly BertConfig Tiny = new()
    {
        VocabSize = 99, HiddenSize = 32, NumHiddenLayers = 2, NumAttentionHeads = 4, IntermediateSize = 37, MaxPositionEmbeddings = 64,
    };

    private static (Tensor ids, Tensor types, Tensor mask) Batch()
    {
        manual_seed(0);
        var ids = randint(1, 99, new long[] { 3, 7 });
        var mask = ones(3, 7, ScalarType.Int64);
        mask[2, TensorIndex.Slice(5)] = tensor(0L);
        return (ids, zeros(3, 7, ScalarType.Int64), mask);
    }

    [TestMethod]
    public void EveryHead_HasHuggingFaceShapes()
    {
        using var scope = NewDisposeScope();
        var (ids, types, mask) = Batch();
        using var pretraining = new BertForPreTraining(Tiny);
        var p = pretraining.forward(ids, types, mask);
        CollectionAssert.AreEqual(new long[] { 3, 7, 32 }, p.Encoder.LastHiddenState.shape);
        CollectionAssert.AreEqual(new long[] { 3, 32 }, p.Encoder.PoolerOutput!.shape);
        CollectionAssert.AreEqual(new long[] { 3, 7, 99 }, p.PredictionLogits.shape);
        CollectionAssert.AreEqual(new long[] { 3, 2 }, p.SeqRelationshipLogits!.shape);

        using var classifier = new BertForSequenceClassification(Tiny, numLabels: 3);
        CollectionAssert.AreEqual(new long[] { 3, 3 }, classifier.forward(ids, types, mask).shape);

        using var qa = new BertForQuestionAnswering(Tiny);
        var spans = qa.forward(ids, types, mask);
        CollectionAssert.AreEqual(new long[] { 3, 7 }, spans.Start.shape);
        CollectionAssert.AreEqual(new long[] { 3, 7 }, spans.End.shape);
    }

    [TestMethod]
    public void StateDictKeys_AreHuggingFaceKeys()
    {
        using var mlmOnly = new BertForPreTraining(Tiny, withNextSentencePrediction: false);
        var keys = mlmOnly.state_dict().Keys.ToList();
        CollectionAssert.Contains(keys, "bert.embeddings.word_embeddings.weight");
        CollectionAssert.Contains(keys, "bert.encoder.layer.1.attention.self.query.weight");
        CollectionAssert.Contains(keys, "bert.encoder.layer.1.attention.output.LayerNorm.bias");
        CollectionAssert.Contains(keys, "bert.encoder.layer.0.intermediate.dense.weight");
        CollectionAssert.Contains(keys, "cls.predictions.transform.LayerNorm.weight");
        CollectionAssert.Contains(keys, "cls.predictions.bias");
        Assert.IsFalse(keys.Any(k => k.Contains("seq_relationship") || k.Contains("pooler") || k.Contains("decoder")),
            "BertForMaskedLM has no NSP head, no pooler, and a tied (unsaved) decoder");
    }

    [TestMethod]
    public void Padding_DoesNotChangeTheRealTokens()
    {
        using var scope = NewDisposeScope();
        using var model = new BertModel(Tiny);
        model.eval();
        var ids = tensor(new long[] { 2, 5, 9, 3 }).unsqueeze(0);
        var padded = tensor(new long[] { 2, 5, 9, 3, 0, 0 }).unsqueeze(0);
        var a = model.forward(ids, zeros_like(ids), ones_like(ids)).LastHiddenState;
        var b = model.forward(padded, zeros_like(padded), tensor(new long[] { 1, 1, 1, 1, 0, 0 }).unsqueeze(0)).LastHiddenState;
        BertParityTests.AssertClose(a, b[.., ..4], "hidden states of the real tokens");
    }

    [TestMethod]
    public void Dropout_IsActiveOnlyInTraining()
    {
        using var scope = NewDisposeScope();
        var (ids, types, mask) = Batch();
        using var model = new BertModel(Tiny);
        model.train();
        var a = model.forward(ids, types, mask).LastHiddenState;
        var b = model.forward(ids, types, mask).LastHiddenState;
        Assert.IsFalse(a.allclose(b), "training forwards differ by dropout");
        model.eval();
        Assert.IsTrue(BertParityTests.Identical(model.forward(ids, types, mask).LastHiddenState, model.forward(ids, types, mask).LastHiddenState));
    }

    [TestMethod]
    public void Config_ValidateNamesTheBadField()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => (Tiny with { HiddenAct = "swish" }).Validate());
        StringAssert.Contains(e.Message, "hidden_act");
        Assert.AreEqual(4, BertConfig.Mini().NumAttentionHeads);
        Assert.AreEqual(2048, BertConfig.Small().IntermediateSize);
    }
}
