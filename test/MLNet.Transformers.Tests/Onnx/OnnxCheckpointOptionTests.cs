using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transformers.Onnx;
using MLNet.Transformers.Tests.Checkpoints;
using MLNet.Transformers.Tests.Hub;
using MLNet.Transformers.Tests.Inference;
using MLNet.Transformers.Tests.Models;
using MLNet.Transformers.Transforms;

namespace MLNet.Transformers.Tests.Onnx;

/// <summary>
/// An <c>.onnx</c> file given where an estimator takes a checkpoint folder goes through <c>CheckpointSource.Resolve</c> →
/// <see cref="OnnxCheckpoint.ImportCached(string)"/> (into <c>$MLNET_TRANSFORMERS_CACHE/onnx</c>) and scores as the folder it
/// was exported from.
/// </summary>
[TestClass]
public sealed class OnnxCheckpointOptionTests
{
    private sealed class Row { public string Text { get; set; } = ""; }

    [TestMethod]
    public void OnnxFileAsCheckpointDirectory_ImportsIntoTheCacheAndEmbedsAsTheFolder()
    {
        using var dir = new TempDirectory();
        var onnx = OnnxImportTests.Export(BertParityTests.FixtureDirectory, dir.Path);
        using var env = new EnvironmentScope((OnnxCheckpoint.CacheEnvironmentVariable, dir.File("cache")));

        float[][] fromFolder = Embed(BertParityTests.FixtureDirectory);
        float[][] fromOnnx = Embed(onnx);

        var cached = Directory.GetDirectories(Path.Combine(dir.File("cache"), "onnx"));
        Assert.HasCount(1, cached, "the .onnx was imported once into $MLNET_TRANSFORMERS_CACHE/onnx/<sha256>");
        Assert.IsTrue(File.Exists(Path.Combine(cached[0], "model.safetensors")), "the cached folder holds the imported weights");
        Assert.HasCount(fromFolder.Length, fromOnnx);
        for (int i = 0; i < fromFolder.Length; i++)
            CollectionAssert.AreEqual(fromFolder[i], fromOnnx[i], $"row {i}: the imported weights are the folder's bit for bit");
    }

    private static float[][] Embed(string checkpoint)
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(ScoringPrecisionTests.Sentences.Select(s => new Row { Text = s }));
        using var transformer = ml.Transforms.Text.TransformerEmbedding(checkpoint, "E", "Text", pooling: EmbeddingPooling.Cls, maxSequenceLength: 64, batchSize: 8)
            .Fit(data);
        return transformer.Transform(data).GetColumn<VBuffer<float>>("E").Select(v => v.DenseValues().ToArray()).ToArray();
    }
}
