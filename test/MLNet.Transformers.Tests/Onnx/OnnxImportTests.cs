using Google.Protobuf;
using Microsoft.ML;
using MLNet.Transformers.Checkpoints;
using MLNet.Transformers.Models;
using MLNet.Transformers.Models.Bert;
using MLNet.Transformers.Models.DistilBert;
using MLNet.Transformers.Onnx;
using MLNet.Transformers.Tests.Checkpoints;
using MLNet.Transformers.Tests.Encoders;
using MLNet.Transformers.Tests.Inference;
using MLNet.Transformers.Tests.Models;
using MLNet.Transformers.Tokenization;
using MLNet.Transformers.Transforms;
using static TorchSharp.torch;
using OnnxProto = global::Onnx;

namespace MLNet.Transformers.Tests.Onnx;

/// <summary>
/// <see cref="OnnxCheckpoint"/> on graphs this library exports (tiny BERT, RoBERTa and DistilBERT fixtures): the import gives
/// back every weight bit for bit and the config the model was built with; the cache is keyed by the file's sha256 and reused;
/// CRLF vocabularies load; graphs it cannot map (an extra initializer, a GPT-style graph, an int8 export) are refused naming
/// the initializer.
/// </summary>
[TestClass]
public sealed class OnnxImportTests
{
    private static EncoderFixture roberta = null!, distilbert = null!;

    [ClassInitialize]
    public static void Create(TestContext _)
    {
        roberta = EncoderFineTuningTests.WithTokenizerVocabulary("roberta");
        distilbert = EncoderFineTuningTests.WithTokenizerVocabulary("distilbert");
    }

    [ClassCleanup]
    public static void Remove() { roberta.Dispose(); distilbert.Dispose(); }

    private static string Checkpoint(string family) => family switch
    {
        "bert" => BertParityTests.FixtureDirectory,
        "roberta" => EncoderFineTuningTests.Folder(roberta, "Pretrained"),
        _ => EncoderFineTuningTests.Folder(distilbert, "Pretrained"),
    };

    /// <summary>Exports <paramref name="checkpoint"/>'s encoder to <c>dir/onnx/encoder.onnx</c> with its tokenizer files beside it.</summary>
    internal static string Export(string checkpoint, string dir, EmbeddingPooling pooling = EmbeddingPooling.Cls, bool int8 = false)
    {
        var ml = new MLContext(seed: 1);
        using var transformer = ml.Transforms.Text.TransformerEmbedding(checkpoint, new TransformerEmbeddingSettings("E", "Text", null, pooling, 64, 8))
            .Fit(ml.Data.LoadFromEnumerable(new[] { new { Text = "" } }));
        var folder = Directory.CreateDirectory(Path.Combine(dir, "onnx")).FullName;
        transformer.ExportOnnx(Path.Combine(folder, "encoder.onnx"), quantizeInt8: int8);
        foreach (var file in new[] { "vocab.txt", "vocab.json", "merges.txt", "tokenizer_config.json" }.Where(f => File.Exists(Path.Combine(checkpoint, f))))
            File.Copy(Path.Combine(checkpoint, file), Path.Combine(folder, file));
        return Path.Combine(folder, "encoder.onnx");
    }

    [TestMethod]
    [DataRow("bert", EmbeddingPooling.Pooler)]
    [DataRow("bert", EmbeddingPooling.Cls)]
    [DataRow("roberta", EmbeddingPooling.Mean)]
    [DataRow("distilbert", EmbeddingPooling.Cls)]
    public void OwnExport_ImportsBackEveryWeightExactlyAndTheConfig(string family, EmbeddingPooling pooling)
    {
        using var dir = new TempDirectory();
        var original = Checkpoint(family);
        var imported = OnnxCheckpoint.Import(Export(original, dir.Path, pooling), dir.File("imported"));

        Assert.AreEqual(family, EncoderCheckpoint.ReadInfo(imported).ModelType);
        if (family == "distilbert")
        {
            var (a, b) = (DistilBertCheckpoint.ReadConfig(original), DistilBertCheckpoint.ReadConfig(imported));
            Assert.AreEqual((a.NLayers, a.NHeads, a.Dim, a.HiddenDim, a.VocabSize, a.MaxPositionEmbeddings, a.Activation),
                (b.NLayers, b.NHeads, b.Dim, b.HiddenDim, b.VocabSize, b.MaxPositionEmbeddings, b.Activation));
        }
        else
        {
            var read = (string d) => family == "bert" ? BertCheckpoint.ReadConfig(d) : global::MLNet.Transformers.Models.Roberta.RobertaCheckpoint.ReadConfig(d);
            var (a, b) = (read(original), read(imported));
            Assert.AreEqual((a.NumHiddenLayers, a.NumAttentionHeads, a.HiddenSize, a.IntermediateSize, a.VocabSize, a.MaxPositionEmbeddings, a.TypeVocabSize, a.HiddenAct, a.PadTokenId),
                (b.NumHiddenLayers, b.NumAttentionHeads, b.HiddenSize, b.IntermediateSize, b.VocabSize, b.MaxPositionEmbeddings, b.TypeVocabSize, b.HiddenAct, b.PadTokenId));
            Assert.AreEqual(a.LayerNormEps, b.LayerNormEps, "epsilon from the LayerNormalization node");
        }

        bool pooler = pooling == EmbeddingPooling.Pooler;   // the export writes the pooler only when it pools with it
        Assert.AreEqual(pooler, HasKey(imported, "pooler.dense.weight"));
        AssertSameWeights(original, imported, pooler);
    }

    /// <summary>Every weight of the encoder in <paramref name="expected"/> equals the one in <paramref name="actual"/>, bit for bit.</summary>
    internal static void AssertSameWeights(string expected, string actual, bool pooler)
    {
        using var scope = NewDisposeScope();
        using var a = (nn.Module)EncoderCheckpoint.LoadEncoder(expected, withPooler: pooler);
        using var b = (nn.Module)EncoderCheckpoint.LoadEncoder(actual, withPooler: pooler);
        var actualWeights = b.state_dict();
        foreach (var (key, value) in a.state_dict())
            Assert.IsTrue(value.allclose(actualWeights[key], rtol: 0, atol: 0), $"weight {key}");
    }

    private static bool HasKey(string folder, string key)
    {
        using var scope = NewDisposeScope();
        return CheckpointLoader.LoadStateDict(folder).ContainsKey(key);
    }

    [TestMethod]
    public void NamedWeightsReadThroughTranspose_AsUnfoldedExportsWriteThem_ImportBitForBit()
    {
        using var dir = new TempDirectory();
        var onnx = Export(BertParityTests.FixtureDirectory, dir.Path);
        // Our export folds each Linear weight into "<key>.weight_t" [in, out]; rewrite them as exports without constant folding
        // do: the named [out, in] weight, a Transpose node, and the MatMul reading its output.
        var model = OnnxProto.ModelProto.Parser.ParseFrom(File.ReadAllBytes(onnx));
        var graph = model.Graph;
        int rewritten = 0;
        foreach (var matMul in graph.Node.Where(n => n.OpType == "MatMul").ToList())
        {
            var folded = graph.Initializer.FirstOrDefault(t => t.Name == matMul.Input[1] && t.Name.EndsWith(".weight_t", StringComparison.Ordinal));
            if (folded is null) continue;
            int rows = (int)folded.Dims[0], cols = (int)folded.Dims[1];
            var values = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(folded.RawData.Span).ToArray();
            var stored = new float[values.Length];
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < cols; c++)
                    stored[c * rows + r] = values[r * cols + c];
            var named = FloatTensor(folded.Name[..^2], cols, rows);
            named.RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(stored.AsSpan()));
            graph.Initializer.Remove(folded);
            graph.Initializer.Add(named);
            var transpose = Node("Transpose", [named.Name], named.Name + "_transposed");
            transpose.Attribute.Add(new OnnxProto.AttributeProto { Name = "perm", Type = OnnxProto.AttributeProto.Types.AttributeType.Ints, Ints = { 1, 0 } });
            graph.Node.Insert(graph.Node.IndexOf(matMul), transpose);
            matMul.Input[1] = transpose.Output[0];
            rewritten++;
        }
        Assert.AreEqual(2 * 6, rewritten, "six linear layers in each of the fixture's two layers");
        File.WriteAllBytes(onnx, model.ToByteArray());
        AssertSameWeights(BertParityTests.FixtureDirectory, OnnxCheckpoint.Import(onnx, dir.File("imported")), pooler: false);
    }

    [TestMethod]
    public void ImportCached_KeysTheFolderBySha256AndReusesIt()
    {
        using var dir = new TempDirectory();
        var onnx = Export(BertParityTests.FixtureDirectory, dir.Path);
        var cache = dir.File("cache");
        var first = OnnxCheckpoint.ImportCached(onnx, cache);
        Assert.AreEqual(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(onnx))), Path.GetFileName(first));
        var weights = Path.Combine(first, "model.safetensors");
        var written = File.GetLastWriteTimeUtc(weights);
        File.SetLastWriteTimeUtc(weights, written.AddHours(-1));   // a rewrite would move it forward again
        Assert.AreEqual(first, OnnxCheckpoint.ImportCached(onnx, cache));
        Assert.AreEqual(written.AddHours(-1), File.GetLastWriteTimeUtc(weights), "the cached folder is reused, not rewritten");
        Assert.AreEqual(1, Directory.GetDirectories(cache).Length, "no staging folder left behind");
    }

    [TestMethod]
    public void CrlfVocabulary_LoadsWithTheSameIds()
    {
        using var dir = new TempDirectory();
        var onnx = Export(BertParityTests.FixtureDirectory, dir.Path);
        var vocab = Path.Combine(Path.GetDirectoryName(onnx)!, "vocab.txt");
        File.WriteAllText(vocab, File.ReadAllText(vocab).Replace("\r\n", "\n").Replace("\n", "\r\n"));
        var imported = OnnxCheckpoint.Import(onnx, dir.File("imported"));
        var texts = ScoringPrecisionTests.Sentences;
        var expected = BertWordPieceTokenizer.FromDirectory(BertParityTests.FixtureDirectory).EncodeBatch(texts, null, 64).InputIds;
        CollectionAssert.AreEqual(expected, EncoderCheckpoint.LoadTokenizer(imported).EncodeBatch(texts, null, 64).InputIds);
    }

    [TestMethod]
    [DataRow("mystery")]
    [DataRow("encoder.layer.0.attention.self.extra.weight")]
    public void ExtraInitializer_IsRefusedByName(string name)
    {
        using var dir = new TempDirectory();
        var onnx = Export(BertParityTests.FixtureDirectory, dir.Path);
        var model = OnnxProto.ModelProto.Parser.ParseFrom(File.ReadAllBytes(onnx));
        model.Graph.Initializer.Add(FloatTensor(name, 4, 4));
        File.WriteAllBytes(onnx, model.ToByteArray());
        var e = Assert.ThrowsExactly<CheckpointFormatException>(() => OnnxCheckpoint.Import(onnx, dir.File("imported")));
        StringAssert.Contains(e.Message, $"'{name}'");
        Assert.IsFalse(Directory.Exists(dir.File("imported")), "nothing half-written");
    }

    [TestMethod]
    public void GptStyleGraph_IsRefusedNamingItsFirstWeight()
    {
        using var dir = new TempDirectory();
        // GPT-2's layout: token embedding, then a Conv1D stored [in, out] with its bias, under transformer.h.*.
        var graph = new OnnxProto.GraphProto { Name = "gpt2" };
        graph.Initializer.Add(FloatTensor("transformer.wte.weight", 10, 8));
        graph.Initializer.Add(FloatTensor("transformer.h.0.attn.c_attn.weight", 8, 24));
        graph.Initializer.Add(FloatTensor("transformer.h.0.attn.c_attn.bias", 24));
        graph.Node.Add(Node("Gather", ["transformer.wte.weight", "input_ids"], "x"));
        graph.Node.Add(Node("MatMul", ["x", "transformer.h.0.attn.c_attn.weight"], "qkv_raw"));
        graph.Node.Add(Node("Add", ["qkv_raw", "transformer.h.0.attn.c_attn.bias"], "qkv"));
        var model = new OnnxProto.ModelProto { IrVersion = 8, Graph = graph };
        model.OpsetImport.Add(new OnnxProto.OperatorSetIdProto { Version = 17 });
        var onnx = dir.File("gpt2.onnx");
        File.WriteAllBytes(onnx, model.ToByteArray());
        File.Copy(Path.Combine(BertParityTests.FixtureDirectory, "vocab.txt"), dir.File("vocab.txt"));
        var e = Assert.ThrowsExactly<CheckpointFormatException>(() => OnnxCheckpoint.Import(onnx, dir.File("imported")));
        StringAssert.Contains(e.Message, "'transformer.");
    }

    [TestMethod]
    public void Int8Export_IsRefusedAsQuantized()
    {
        using var dir = new TempDirectory();
        var onnx = Export(BertParityTests.FixtureDirectory, dir.Path, int8: true);
        var e = Assert.ThrowsExactly<CheckpointFormatException>(() => OnnxCheckpoint.Import(onnx, dir.File("imported")));
        StringAssert.Contains(e.Message, "weight_int8");
        StringAssert.Contains(e.Message, "quantized");
    }

    [TestMethod]
    public void MissingTokenizerFiles_AreNamed()
    {
        using var dir = new TempDirectory();
        var onnx = Export(BertParityTests.FixtureDirectory, dir.Path);
        File.Delete(Path.Combine(Path.GetDirectoryName(onnx)!, "vocab.txt"));
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => OnnxCheckpoint.Import(onnx, dir.File("imported")));
        StringAssert.Contains(e.Message, "vocab.txt");
    }

    internal static OnnxProto.TensorProto FloatTensor(string name, params long[] dims)
    {
        var t = new OnnxProto.TensorProto { Name = name, DataType = (int)OnnxProto.TensorProto.Types.DataType.Float };
        t.Dims.AddRange(dims);
        t.RawData = ByteString.CopyFrom(new byte[dims.Aggregate(4L, (a, b) => a * b)]);
        return t;
    }

    private static OnnxProto.NodeProto Node(string op, string[] inputs, string output)
    {
        var node = new OnnxProto.NodeProto { OpType = op, Name = op + "_" + output };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        return node;
    }
}
