using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNet.Transformers.Persistence;
using MLNet.Transformers.Transforms.Infrastructure;

namespace MLNet.Transformers.Tests.Persistence;

[TestClass]
public sealed class SaveContractTests
{
    /// <summary>Minimal transformer defined in this (third) assembly: text → upper-cased text, with a saved suffix.</summary>
    private sealed class UpperTransformer(string suffix) : BatchedTransformerBase(batchSize: 3), ILoadableTransformer<UpperTransformer>
    {
        public override IReadOnlyList<InputColumnSpec> InputColumns { get; } = [new("Text", TextDataViewType.Instance)];
        public override IReadOnlyList<OutputColumnSpec> OutputColumns { get; } = [new("Upper", TextDataViewType.Instance)];

        protected internal override void MapBatch(RowBatch batch) =>
            batch.SetOutput("Upper", batch.GetInput<string>("Text").Select(t => t.ToUpperInvariant() + suffix).ToArray());

        protected override void SavePayload(TransformerPayloadWriter writer) => writer.WriteBytes("suffix", System.Text.Encoding.UTF8.GetBytes(suffix));

        public static UpperTransformer Load(IHostEnvironment env, TransformerPayloadReader payload) =>
            new(System.Text.Encoding.UTF8.GetString(payload.ReadBytes("suffix")));
    }

    /// <summary>Forgot ILoadableTransformer: saving must say so instead of writing a model that cannot be loaded.</summary>
    private sealed class UnloadableTransformer() : BatchedTransformerBase(batchSize: 1)
    {
        public override IReadOnlyList<InputColumnSpec> InputColumns { get; } = [new("Text", TextDataViewType.Instance)];
        public override IReadOnlyList<OutputColumnSpec> OutputColumns { get; } = [new("Out", NumberDataViewType.Single)];
        protected internal override void MapBatch(RowBatch batch) => batch.SetOutput("Out", new float[batch.Count]);
        protected override void SavePayload(TransformerPayloadWriter writer) { }
    }

    /// <summary>MapBatch returns the wrong shape: the error names the output column and the sizes.</summary>
    private sealed class WrongSizeTransformer() : BatchedTransformerBase(batchSize: 2)
    {
        public override IReadOnlyList<InputColumnSpec> InputColumns { get; } = [new("Text", TextDataViewType.Instance)];
        public override IReadOnlyList<OutputColumnSpec> OutputColumns { get; } = [new("Vec", new VectorDataViewType(NumberDataViewType.Single, 3))];
        protected internal override void MapBatch(RowBatch batch) => batch.SetOutput("Vec", Enumerable.Repeat(new float[2], batch.Count).ToArray());
        protected override void SavePayload(TransformerPayloadWriter writer) { }
    }

    [TestMethod]
    public void TransformerFromAnotherAssembly_RoundTripsThroughModelSaveLoad()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new { Text = "ab" }, new { Text = "cd" }, new { Text = "é" }, new { Text = "x" } });
        using var stream = new MemoryStream();
        ml.Model.Save(new UpperTransformer("!"), data.Schema, stream);
        stream.Position = 0;
        var loaded = ml.Model.Load(stream, out _);
        Assert.IsInstanceOfType<UpperTransformer>(loaded);
        CollectionAssert.AreEqual(new[] { "AB!", "CD!", "É!", "X!" }, loaded.Transform(data).GetColumn<string>("Upper").ToArray());
    }

    [TestMethod]
    public void Save_WithoutILoadableTransformer_ExplainsWhatIsMissing()
    {
        var ml = new MLContext();
        var data = ml.Data.LoadFromEnumerable(new[] { new { Text = "ab" } });
        var e = Assert.Throws<InvalidOperationException>(() => ml.Model.Save(new UnloadableTransformer(), data.Schema, new MemoryStream()));
        StringAssert.Contains(e.Message, "must implement ILoadableTransformer<UnloadableTransformer>");
    }

    [TestMethod]
    public void MapBatch_WrongVectorSize_NamesTheOutputColumn()
    {
        var ml = new MLContext();
        var data = ml.Data.LoadFromEnumerable(new[] { new { Text = "ab" } });
        var e = Assert.Throws<InvalidOperationException>(() => new WrongSizeTransformer().Transform(data).GetColumn<float[]>("Vec").ToArray());
        StringAssert.Contains(e.Message, "Output column 'Vec' is a vector of size 3, but row 0 of the batch has 2 values");
    }
}
