using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transformers.Models.Bert;
using MLNet.Transformers.Tests.Models;
using FreshProcess = MLNet.Transformers.FreshProcess;
using MLNet.Transformers.Transforms;
using static TorchSharp.torch;

namespace MLNet.Transformers.Tests.Transforms;

[TestClass]
public sealed class TransformerEmbeddingTests
{
    private sealed class Row
    {
        public string Text { get; set; } = "";
        public string Second { get; set; } = "";
        public bool Label { get; set; }
    }

    private sealed class Prediction
    {
        [VectorType(32)] public float[] Embedding { get; set; } = [];
    }

    private static readonly Row[] Rows =
    [
        new() { Text = "hello, world!", Second = "the cat", Label = true },
        new() { Text = "a gripping, funny and moving film.", Second = "it rains", Label = true },
        new() { Text = "dull and far too long.", Second = "sat on the mat", Label = false },
        new() { Text = "", Second = "empty first text", Label = false },
        new() { Text = "Café naïve résumé — 東京", Second = "x", Label = true },
    ];

    private static string Fixture => BertParityTests.FixtureDirectory;

    private static float[][] Column(IDataView view, string name) =>
        view.GetColumn<VBuffer<float>>(name).Select(v => v.DenseValues().ToArray()).ToArray();

    [TestMethod]
    public void Cls_EqualsTheEncoderHiddenStateAtClsForEveryRow()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Rows);
        using var transformer = ml.Transforms.Text.TransformerEmbedding(Fixture, "Embedding", "Text", batchSize: 2).Fit(data);
        var embeddings = Column(transformer.Transform(data), "Embedding");

        var tokenizer = MLNet.Transformers.Tokenization.BertWordPieceTokenizer.FromDirectory(Fixture);
        using var encoder = BertCheckpoint.LoadEncoder(Fixture);
        encoder.eval();
        for (int i = 0; i < Rows.Length; i++)
        {
            using var scope = NewDisposeScope();
            var e = tokenizer.Encode(Rows[i].Text, maxLength: 128);
            var ids = tensor(e.InputIds.Select(x => (long)x).ToArray()).unsqueeze(0);
            var hidden = encoder.forward(ids, zeros_like(ids), ones_like(ids)).LastHiddenState[0, 0];
            BertParityTests.AssertClose(hidden, tensor(embeddings[i]), $"row {i}");
        }
    }

    [TestMethod]
    public void MeanAndPooler_MatchTheirDefinitionsAndBatchingDoesNotChangeResults()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Rows);
        var one = Column(ml.Transforms.Text.TransformerEmbedding(Fixture, "E", "Text", pooling: EmbeddingPooling.Mean, batchSize: 1).Fit(data).Transform(data), "E");
        var many = Column(ml.Transforms.Text.TransformerEmbedding(Fixture, "E", "Text", pooling: EmbeddingPooling.Mean, batchSize: 4).Fit(data).Transform(data), "E");
        for (int i = 0; i < Rows.Length; i++)
            BertParityTests.AssertClose(tensor(one[i]), tensor(many[i]), $"mean row {i}: padding in a batch must not change it");

        var tokenizer = MLNet.Transformers.Tokenization.BertWordPieceTokenizer.FromDirectory(Fixture);
        using var encoder = BertCheckpoint.LoadEncoder(Fixture);
        encoder.eval();
        var pooler = Column(ml.Transforms.Text.TransformerEmbedding(Fixture, "E", "Text", pooling: EmbeddingPooling.Pooler).Fit(data).Transform(data), "E");
        using var scope = NewDisposeScope();
        var e = tokenizer.Encode(Rows[1].Text, maxLength: 128);
        var ids = tensor(e.InputIds.Select(x => (long)x).ToArray()).unsqueeze(0);
        var output = encoder.forward(ids, zeros_like(ids), ones_like(ids));
        BertParityTests.AssertClose(output.LastHiddenState[0].mean([0]), tensor(one[1]), "mean over tokens");
        BertParityTests.AssertClose(output.PoolerOutput![0], tensor(pooler[1]), "pooler output");
    }

    [TestMethod]
    public void SentencePair_UsesSegmentIdsOfBothTexts()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Rows);
        var pair = Column(ml.Transforms.Text.TransformerEmbedding(Fixture, "E", "Text", "Second").Fit(data).Transform(data), "E");
        var tokenizer = MLNet.Transformers.Tokenization.BertWordPieceTokenizer.FromDirectory(Fixture);
        using var encoder = BertCheckpoint.LoadEncoder(Fixture);
        encoder.eval();
        using var scope = NewDisposeScope();
        var e = tokenizer.Encode(Rows[0].Text, Rows[0].Second, maxLength: 128);
        var ids = tensor(e.InputIds.Select(x => (long)x).ToArray()).unsqueeze(0);
        var types = tensor(e.TokenTypeIds.Select(x => (long)x).ToArray()).unsqueeze(0);
        Assert.AreEqual(1L, types.max().item<long>(), "the second text has token type 1");
        BertParityTests.AssertClose(encoder.forward(ids, types, ones_like(ids)).LastHiddenState[0, 0], tensor(pair[0]), "pair [CLS]");
    }

    [TestMethod]
    public void LongTexts_AreTruncatedToTheModelsPositionLimit()
    {
        var ml = new MLContext(seed: 1);
        var long_ = new[] { new Row { Text = string.Join(" ", Enumerable.Repeat("the film is long", 100)) } };
        var data = ml.Data.LoadFromEnumerable(long_);
        using var transformer = ml.Transforms.Text.TransformerEmbedding(Fixture, "E", "Text", maxSequenceLength: 512).Fit(data);
        Assert.AreEqual(64, transformer.Settings.MaxSequenceLength, "capped at max_position_embeddings, as HF caps at model_max_length");
        Assert.AreEqual(32, Column(transformer.Transform(data), "E")[0].Length);
    }

    [TestMethod]
    public void Schema_ErrorsNameTheColumn()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Rows);
        var missing = ml.Transforms.Text.TransformerEmbedding(Fixture, "E", "Sentence");
        var e1 = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => missing.GetOutputSchema(MLNet.Transformers.Transforms.Infrastructure.EstimatorSchema.ShapeOf(data.Schema)));
        StringAssert.Contains(e1.Message, "Sentence");
        var mistyped = ml.Transforms.Text.TransformerEmbedding(Fixture, "E", "Label");
        var e2 = Assert.ThrowsExactly<ArgumentException>(() => mistyped.Fit(data));
        StringAssert.Contains(e2.Message, "Label");
        var shape = ml.Transforms.Text.TransformerEmbedding(Fixture, "E", "Text").GetOutputSchema(MLNet.Transformers.Transforms.Infrastructure.EstimatorSchema.ShapeOf(data.Schema));
        var column = shape.Single(c => c.Name == "E");
        Assert.AreEqual(SchemaShape.Column.VectorKind.Vector, column.Kind);
        Assert.ThrowsExactly<ArgumentException>(() => ml.Transforms.Text.TransformerEmbedding("/no/such/checkpoint", "E", "Text"));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.Text.TransformerEmbedding(Fixture, "E", "Text", maxSequenceLength: 2));
    }

    [TestMethod]
    public void Pipeline_SaveLoadTwiceAndPredictionEngine_GiveIdenticalOutputs()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Rows);
        var model = ml.Transforms.Text.TransformerEmbedding(Fixture, "Embedding", "Text", pooling: EmbeddingPooling.Mean).Fit(data);
        var expected = Column(model.Transform(data), "Embedding");
        var path = Path.Combine(Path.GetTempPath(), $"embedding-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(model, data.Schema, path);
            for (int attempt = 0; attempt < 2; attempt++)
            {
                var loaded = ml.Model.Load(path, out var schema);
                var actual = Column(loaded.Transform(data), "Embedding");
                for (int i = 0; i < Rows.Length; i++)
                    CollectionAssert.AreEqual(expected[i], actual[i], $"load #{attempt + 1}, row {i}");
                var engine = ml.Model.CreatePredictionEngine<Row, Prediction>(loaded);
                CollectionAssert.AreEqual(expected[2], engine.Predict(Rows[2]).Embedding, $"PredictionEngine after load #{attempt + 1}");
            }
        }
        finally { File.Delete(path); }
    }

    [TestMethod]
    public void Pipeline_LoadsInAFreshProcessWithIdenticalOutputs()
    {
        var ml = new MLContext(seed: 1);
        var sample = FreshProcess.ProbeData.Sample(ml);
        var model = ml.Transforms.Text.TransformerEmbedding(Fixture, "Embedding", "Text", "Text2").Fit(sample);
        var expected = FreshProcess.ProbeData.FormatVector(model.Transform(sample), "Embedding").ToArray();
        var path = Path.Combine(Path.GetTempPath(), $"embedding-fresh-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(model, sample.Schema, path);
            CollectionAssert.AreEqual(expected, Persistence.FreshProcessRunner.Run(path, "--vector", "Embedding"));
        }
        finally { File.Delete(path); }
    }

    [TestMethod]
    public void Features_TrainAnMLNetClassifier()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Enumerable.Repeat(Rows, 8).SelectMany(r => r));
        var pipeline = ml.Transforms.Text.TransformerEmbedding(Fixture, "Features", "Text", pooling: EmbeddingPooling.Mean)
            .Append(ml.BinaryClassification.Trainers.LbfgsLogisticRegression("Label", "Features"));
        var model = pipeline.Fit(data);
        var metrics = ml.BinaryClassification.Evaluate(model.Transform(data));
        Assert.IsTrue(metrics.Accuracy > 0.75, $"training accuracy {metrics.Accuracy} on 5 distinct sentences");
    }
}
