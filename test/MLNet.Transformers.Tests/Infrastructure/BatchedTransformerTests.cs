using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transformers.FreshProcess;
using MLNet.Transformers.Transforms.Infrastructure;

namespace MLNet.Transformers.Tests.Infrastructure;

[TestClass]
public sealed class BatchedTransformerTests
{
    private sealed class Prediction
    {
        public float[] Stats { get; set; } = [];
        public string StatsSummary { get; set; } = "";
        public string Text { get; set; } = "";
        public float Id { get; set; }
    }

    [TestMethod]
    [DataRow(0)]
    [DataRow(1)]
    [DataRow(3)]
    [DataRow(4)]
    [DataRow(5)]
    [DataRow(9)]
    public void Cursor_BatchesAnyRowCountAndMatchesRowByRow(int rowCount)
    {
        using var fixture = new TextStatsFixture();
        var ml = new MLContext(seed: 1);
        var rows = TextStatsFixture.MakeRows(rowCount);
        var transformer = fixture.Create(batchSize: 4);
        var output = transformer.Transform(ml.Data.LoadFromEnumerable(rows));

        var batched = output.GetColumn<float[]>("Stats").ToArray();
        var engine = ml.Model.CreatePredictionEngine<ProbeData.Row, Prediction>(transformer);
        Assert.HasCount(rowCount, batched);
        for (int i = 0; i < rowCount; i++)
        {
            CollectionAssert.AreEqual(TextStatsFixture.Expected(rows[i]), batched[i], $"row {i}");
            CollectionAssert.AreEqual(batched[i], engine.Predict(rows[i]).Stats, $"row {i} row-by-row");
        }
        // Full batches of 4, then the remainder; the PredictionEngine calls add batches of 1.
        var expectedBatches = Enumerable.Repeat(4, rowCount / 4).Concat(rowCount % 4 > 0 ? [rowCount % 4] : []);
        CollectionAssert.AreEqual(expectedBatches.Concat(Enumerable.Repeat(1, rowCount)).ToArray(), transformer.BatchSizesSeen.ToArray());
    }

    [TestMethod]
    public void Cursor_PassesInputColumnsThroughAndServesTextOutputs()
    {
        using var fixture = new TextStatsFixture();
        var ml = new MLContext(seed: 1);
        var rows = TextStatsFixture.MakeRows(6);
        var output = fixture.Create(batchSize: 4).Transform(ml.Data.LoadFromEnumerable(rows));

        CollectionAssert.AreEqual(rows.Select(r => r.Text).ToArray(), output.GetColumn<string>("Text").ToArray());
        CollectionAssert.AreEqual(rows.Select(r => r.Id).ToArray(), output.GetColumn<float>("Id").ToArray());
        var summaries = output.GetColumn<string>("StatsSummary").ToArray();
        Assert.AreEqual($"chars={TextStatsFixture.Expected(rows[5])[0]} words={TextStatsFixture.Expected(rows[5])[1]}", summaries[5]);
        Assert.AreEqual(6L, output.GetRowCount());
        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, 2), output.Schema["Stats"].Type);
    }

    [TestMethod]
    public void Output_HidesSameNamedInputColumn()
    {
        using var fixture = new TextStatsFixture();
        var ml = new MLContext(seed: 1);
        var transformer = new TextStatsTransformer(new TextStatsOptions("Text", "Text", null, 2), fixture.CheckpointDirectory);
        var rows = TextStatsFixture.MakeRows(3);
        var output = transformer.Transform(ml.Data.LoadFromEnumerable(rows));

        Assert.IsTrue(output.Schema.Single(c => c.Name == "Text" && c.IsHidden).Type is TextDataViewType);
        var stats = output.GetColumn<float[]>("Text").ToArray();
        CollectionAssert.AreEqual(TextStatsFixture.Expected(rows[2], withSecond: false), stats[2]);
    }

    [TestMethod]
    public void Transform_IsLazyAndSkipsTheModelWhenNoOutputIsRead()
    {
        using var fixture = new TextStatsFixture();
        var ml = new MLContext(seed: 1);
        var transformer = fixture.Create(batchSize: 2);
        var output = transformer.Transform(ml.Data.LoadFromEnumerable(TextStatsFixture.MakeRows(5)));
        Assert.IsEmpty(transformer.BatchSizesSeen, "Transform must not compute anything");

        Assert.HasCount(5, output.GetColumn<float>("Id").ToArray());
        Assert.IsEmpty(transformer.BatchSizesSeen, "reading only pass-through columns must not run the model");

        using var cursor = output.GetRowCursor([output.Schema["Stats"]]);
        Assert.IsTrue(cursor.IsColumnActive(output.Schema["Stats"]));
        Assert.IsFalse(cursor.IsColumnActive(output.Schema["Id"]));
        Assert.IsTrue(cursor.MoveNext());
        CollectionAssert.AreEqual(new[] { 2 }, transformer.BatchSizesSeen.ToArray());
    }

    [TestMethod]
    public void OptionalSecondColumn_MayBeAbsent()
    {
        using var fixture = new TextStatsFixture();
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new { Text = "a b c" } });
        var stats = fixture.Create().Transform(data).GetColumn<float[]>("Stats").Single();
        CollectionAssert.AreEqual(new[] { 10f, 3f }, stats);
    }

    [TestMethod]
    public void GetOutputSchema_NamesMissingColumn()
    {
        using var fixture = new TextStatsFixture();
        var data = new MLContext().Data.LoadFromEnumerable(new[] { new { Other = "x" } });
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => fixture.Create().GetOutputSchema(data.Schema));
        StringAssert.Contains(e.Message, "Input column 'Text' not found");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => fixture.Create().Transform(data));
    }

    [TestMethod]
    public void GetOutputSchema_NamesMistypedColumnAndExpectedType()
    {
        using var fixture = new TextStatsFixture();
        var data = new MLContext().Data.LoadFromEnumerable(new[] { new { Text = "x", Text2 = 1f } });
        var e = Assert.ThrowsExactly<ArgumentException>(() => fixture.Create().GetOutputSchema(data.Schema));
        StringAssert.Contains(e.Message, "Input column 'Text2' must be of type String, but is Single");
    }

    [TestMethod]
    public void EstimatorSchema_AddsOutputsAndNamesBadInputs()
    {
        using var fixture = new TextStatsFixture();
        var ml = new MLContext();
        var good = EstimatorSchema.ShapeOf(ml.Data.LoadFromEnumerable(new[] { new { Text = "x", Stats = 1f } }).Schema);
        var shape = fixture.Estimator().GetOutputSchema(good);
        var stats = shape.Single(c => c.Name == "Stats");
        Assert.AreEqual(SchemaShape.Column.VectorKind.Vector, stats.Kind);
        Assert.AreEqual(NumberDataViewType.Single, stats.ItemType);
        var summary = shape.Single(c => c.Name == "StatsSummary");
        Assert.AreEqual(TextDataViewType.Instance, summary.ItemType);

        var missing = EstimatorSchema.ShapeOf(ml.Data.LoadFromEnumerable(new[] { new { Other = "x" } }).Schema);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => fixture.Estimator().GetOutputSchema(missing)).Message,
            "Input column 'Text' not found");
        var mistyped = EstimatorSchema.ShapeOf(ml.Data.LoadFromEnumerable(new[] { new { Text = 1f } }).Schema);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => fixture.Estimator().GetOutputSchema(mistyped)).Message,
            "Input column 'Text' must be of type String, but is Single");
    }

    [TestMethod]
    public void PredictionEngine_ComputesOncePerRowForSeveralOutputs()
    {
        using var fixture = new TextStatsFixture();
        var ml = new MLContext(seed: 1);
        var transformer = fixture.Create();
        var engine = ml.Model.CreatePredictionEngine<ProbeData.Row, Prediction>(transformer);
        var row = new ProbeData.Row { Text = "hello world", Text2 = "again", Id = 7 };

        var prediction = engine.Predict(row);

        CollectionAssert.AreEqual(TextStatsFixture.Expected(row), prediction.Stats);
        Assert.AreEqual("chars=32 words=3", prediction.StatsSummary);
        Assert.AreEqual("hello world", prediction.Text);
        CollectionAssert.AreEqual(new[] { 1 }, transformer.BatchSizesSeen.ToArray(), "both output columns share one MapBatch");
    }

    [TestMethod]
    public void ComposesWithMLNetTransformsAndTrainers()
    {
        using var fixture = new TextStatsFixture(scale: 0.1f);
        var ml = new MLContext(seed: 1);
        var rows = Enumerable.Range(0, 40).Select(i => new { Text = string.Join(' ', Enumerable.Repeat("word", 1 + i % 8)), Label = i % 8 >= 4 }).ToArray();
        var pipeline = fixture.Estimator(second: null)
            .Append(ml.Transforms.Concatenate("Features", "Stats"))
            .Append(ml.BinaryClassification.Trainers.LbfgsLogisticRegression());

        var model = pipeline.Fit(ml.Data.LoadFromEnumerable(rows));
        var metrics = ml.BinaryClassification.Evaluate(model.Transform(ml.Data.LoadFromEnumerable(rows)));

        Assert.IsGreaterThan(0.9, metrics.Accuracy, "word count separates the labels perfectly");
    }
}
