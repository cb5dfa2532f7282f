using System.Reflection;
using MLNet.Transformers.Models;
using MLNet.Transformers.Onnx;
using MLNet.Transformers.Tests.Checkpoints;
using MLNet.Transformers.Tests.Inference;
using MLNet.Transformers.Tests.Models;
using MLNet.Transformers.Tokenization;
using MLNet.Transformers.Transforms;
using static TorchSharp.torch;
using OnnxProto = global::Onnx;

namespace MLNet.Transformers.Tests.Onnx;

/// <summary>
/// ONNX external data, which models over protobuf's 2 GB limit need: the writer's threshold is lowered (instead of building a
/// 2 GB model) so the tiny BERT fixture's tensors go to <c>encoder.onnx.data</c>; ONNX Runtime runs that model to the same
/// outputs as the inline export, and <see cref="OnnxCheckpoint.Import"/> reads the weights back from the side file.
/// </summary>
[TestClass]
public sealed class OnnxExternalDataTests
{
    // The exporter is internal; its threshold parameter exists for this test (a model over 2 GB crosses it by itself).
    private static void ExportWithExternalData(IEncoderModel encoder, string path, long threshold) =>
        typeof(OnnxCheckpoint).Assembly.GetType("MLNet.Transformers.Onnx.EncoderOnnxExporter", throwOnError: true)!
            .GetMethod("ExportEncoder", BindingFlags.Public | BindingFlags.Static)!
            .Invoke(null, [encoder, path, EmbeddingPooling.Cls, false, false, threshold]);

    [TestMethod]
    public void ExternalDataExport_RunsInOnnxRuntimeLikeTheInlineOneAndImportsBack()
    {
        using var dir = new TempDirectory();
        var fixture = BertParityTests.FixtureDirectory;
        var inline = OnnxImportTests.Export(fixture, dir.Path);                       // dir/onnx/encoder.onnx, tokenizer beside
        var external = Path.Combine(Directory.CreateDirectory(dir.File("external")).FullName, "encoder.onnx");
        foreach (var file in new[] { "vocab.txt", "tokenizer_config.json" }) File.Copy(Path.Combine(fixture, file), Path.Combine(dir.File("external"), file));
        using (var scope = NewDisposeScope())
        using (var encoder = (nn.Module)EncoderCheckpoint.LoadEncoder(fixture, withPooler: false))
            ExportWithExternalData((IEncoderModel)encoder, external, threshold: 0);

        var model = OnnxProto.ModelProto.Parser.ParseFrom(File.ReadAllBytes(external));
        var moved = model.Graph.Initializer.Where(t => t.DataLocation == OnnxProto.TensorProto.Types.DataLocation.External).ToList();
        Assert.IsTrue(moved.Any(t => t.Name == "embeddings.word_embeddings.weight"), "the large tensors are external");
        long dataLength = new FileInfo(external + ".data").Length;
        foreach (var t in moved)
        {
            var entry = t.ExternalData.ToDictionary(e => e.Key, e => e.Value);
            Assert.AreEqual("encoder.onnx.data", entry["location"], t.Name);
            Assert.IsTrue(t.RawData.IsEmpty, t.Name);
            Assert.IsLessThanOrEqualTo(dataLength, long.Parse(entry["offset"]) + long.Parse(entry["length"]), t.Name);
        }
        Assert.IsTrue(model.Graph.Initializer.Where(t => !moved.Contains(t)).All(t => t.RawData.Length < 1024), "only small tensors stay inline");
        Assert.IsLessThan(new FileInfo(inline).Length / 10, new FileInfo(external).Length, "the .onnx holds the graph, not the weights");

        var batch = BertWordPieceTokenizer.FromDirectory(fixture).EncodeBatch(ScoringPrecisionTests.Sentences, null, 64);
        var (expectedHidden, expectedEmbedding) = OnnxExportTests.RunOnnx(inline, batch);
        var (hidden, embedding) = OnnxExportTests.RunOnnx(external, batch);
        CollectionAssert.AreEqual(expectedHidden, hidden, "last_hidden_state");
        CollectionAssert.AreEqual(expectedEmbedding, embedding, "embedding");

        var imported = OnnxCheckpoint.Import(external, dir.File("imported"));
        OnnxImportTests.AssertSameWeights(fixture, imported, pooler: false);
    }
}
