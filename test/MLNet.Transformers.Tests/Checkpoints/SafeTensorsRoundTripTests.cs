using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using MLNet.Transformers.Checkpoints;
using TorchSharp;

namespace MLNet.Transformers.Tests.Checkpoints;

[TestClass]
public sealed class SafeTensorsRoundTripTests
{
    private static string FixtureDir => Path.Combine(AppContext.BaseDirectory, "TestData", "bert-tiny-random");

    /// <summary>A tensor filled with random raw bytes (so NaN payloads and subnormals are covered too).</summary>
    private static torch.Tensor RandomBytesTensor(torch.ScalarType dtype, long[] shape, int seed)
    {
        var tensor = torch.empty(shape, dtype);
        var bytes = new byte[tensor.numel() * tensor.ElementSize];
        new Random(seed).NextBytes(bytes);
        if (dtype == torch.ScalarType.Bool)
            for (int i = 0; i < bytes.Length; i++)
                bytes[i] &= 1;
        bytes.CopyTo(tensor.bytes);
        return tensor;
    }

    [TestMethod]
    [DataRow(torch.ScalarType.Float32)]
    [DataRow(torch.ScalarType.Float16)]
    [DataRow(torch.ScalarType.BFloat16)]
    [DataRow(torch.ScalarType.Float64)]
    [DataRow(torch.ScalarType.Int64)]
    [DataRow(torch.ScalarType.Int32)]
    [DataRow(torch.ScalarType.Int16)]
    [DataRow(torch.ScalarType.Int8)]
    [DataRow(torch.ScalarType.Byte)]
    [DataRow(torch.ScalarType.Bool)]
    public void SafeTensors_RoundTripIsBitIdentical(torch.ScalarType dtype)
    {
        using var dir = new TempDirectory();
        using var matrix = RandomBytesTensor(dtype, [3, 5], seed: 1);
        using var vector = RandomBytesTensor(dtype, [7], seed: 2);
        using var scalar = RandomBytesTensor(dtype, [], seed: 3);
        using var empty = torch.empty([0, 4], dtype);
        var original = new Dictionary<string, torch.Tensor> { ["m"] = matrix, ["v"] = vector, ["s"] = scalar, ["e"] = empty };

        SafeTensors.Save(dir.File("x.safetensors"), original);
        var loaded = SafeTensors.Load(dir.File("x.safetensors"));

        CollectionAssert.AreEquivalent(original.Keys.ToList(), loaded.Keys.ToList());
        foreach (var (name, tensor) in original)
        {
            using var back = loaded[name];
            Assert.AreEqual(dtype, back.dtype, name);
            CollectionAssert.AreEqual(tensor.shape, back.shape, name);
            CollectionAssert.AreEqual(tensor.bytes.ToArray(), back.bytes.ToArray(), name);
        }
    }

    [TestMethod]
    public void SafeTensors_WritesStandardHeaderLayout()
    {
        using var dir = new TempDirectory();
        using var a = torch.arange(6, dtype: torch.ScalarType.Float32).reshape(2, 3);
        using var b = torch.tensor(new long[] { 7 });
        string path = dir.File("x.safetensors");

        SafeTensors.Save(path, new Dictionary<string, torch.Tensor> { ["b"] = b, ["a"] = a }, new Dictionary<string, string> { ["format"] = "pt" });

        byte[] file = File.ReadAllBytes(path);
        long headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(file);
        Assert.AreEqual(0, headerLength % 8, "header must be padded to a multiple of 8");
        Assert.AreEqual(8 + headerLength + 6 * 4 + 8, file.Length);
        string headerText = Encoding.UTF8.GetString(file, 8, (int)headerLength);
        Assert.AreEqual(headerText.TrimEnd(' '), headerText.Trim(), "only trailing spaces pad the header");
        using var header = JsonDocument.Parse(headerText);
        var root = header.RootElement;
        Assert.AreEqual("pt", root.GetProperty("__metadata__").GetProperty("format").GetString());
        Assert.AreEqual("F32", root.GetProperty("a").GetProperty("dtype").GetString());
        Assert.AreEqual("[2,3]", root.GetProperty("a").GetProperty("shape").GetRawText());
        // Tensors are laid out by name: "a" first, then "b".
        Assert.AreEqual("[0,24]", root.GetProperty("a").GetProperty("data_offsets").GetRawText());
        Assert.AreEqual("I64", root.GetProperty("b").GetProperty("dtype").GetString());
        Assert.AreEqual("[24,32]", root.GetProperty("b").GetProperty("data_offsets").GetRawText());
        Assert.AreEqual(7L, BinaryPrimitives.ReadInt64LittleEndian(file.AsSpan((int)(8 + headerLength + 24))));
        Assert.AreEqual("pt", SafeTensors.ReadMetadata(path)["format"]);
    }

    [TestMethod]
    public void SafeTensors_SameInputGivesSameBytesWhateverTheOrder()
    {
        using var dir = new TempDirectory();
        using var a = torch.ones(4, 2);
        using var b = torch.zeros(3, dtype: torch.ScalarType.BFloat16);
        SafeTensors.Save(dir.File("1.safetensors"), new Dictionary<string, torch.Tensor> { ["a"] = a, ["b"] = b });
        SafeTensors.Save(dir.File("2.safetensors"), new Dictionary<string, torch.Tensor> { ["b"] = b, ["a"] = a });

        CollectionAssert.AreEqual(File.ReadAllBytes(dir.File("1.safetensors")), File.ReadAllBytes(dir.File("2.safetensors")));
    }

    [TestMethod]
    public void SafeTensors_SavesNonContiguousTensorsByValue()
    {
        using var dir = new TempDirectory();
        using var matrix = torch.arange(6, dtype: torch.ScalarType.Float32).reshape(2, 3);
        using var transposed = matrix.t();
        Assert.IsFalse(transposed.is_contiguous());

        SafeTensors.Save(dir.File("x.safetensors"), new Dictionary<string, torch.Tensor> { ["t"] = transposed });
        using var loaded = SafeTensors.Load(dir.File("x.safetensors"))["t"];

        CollectionAssert.AreEqual(new long[] { 3, 2 }, loaded.shape);
        CollectionAssert.AreEqual(new float[] { 0, 3, 1, 4, 2, 5 }, loaded.data<float>().ToArray());
    }

    [TestMethod]
    public void SafeTensors_SavesModuleParametersThatRequireGrad()
    {
        using var dir = new TempDirectory();
        using var linear = torch.nn.Linear(4, 3);
        var stateDict = linear.state_dict();
        Assert.IsTrue(stateDict["weight"].requires_grad);

        SafeTensors.Save(dir.File("x.safetensors"), stateDict);
        var loaded = SafeTensors.Load(dir.File("x.safetensors"));

        CollectionAssert.AreEquivalent(new[] { "weight", "bias" }, loaded.Keys.ToList());
        CollectionAssert.AreEqual(stateDict["weight"].bytes.ToArray(), loaded["weight"].bytes.ToArray());
        CollectionAssert.AreEqual(stateDict["bias"].bytes.ToArray(), loaded["bias"].bytes.ToArray());
        Assert.IsFalse(File.Exists(dir.File("x.safetensors.tmp")), "the temporary file is renamed into place");
        foreach (var t in loaded.Values)
            t.Dispose();
    }

    [TestMethod]
    public void SafeTensors_ReadMetadataIsEmptyWhenAbsent()
    {
        using var dir = new TempDirectory();
        using var a = torch.ones(2);
        SafeTensors.Save(dir.File("x.safetensors"), new Dictionary<string, torch.Tensor> { ["a"] = a });

        Assert.AreEqual(0, SafeTensors.ReadMetadata(dir.File("x.safetensors")).Count);
    }

    [TestMethod]
    public void SafeTensors_SaveRejectsDuplicateNames()
    {
        using var dir = new TempDirectory();
        using var a = torch.ones(2);
        var pairs = new[] { KeyValuePair.Create("w", a), KeyValuePair.Create("w", a) };

        var e = Assert.ThrowsExactly<ArgumentException>(() => SafeTensors.Save(dir.File("x.safetensors"), pairs));
        StringAssert.Contains(e.Message, "'w' appears twice");
    }

    [TestMethod]
    public void SafeTensors_LoadsTheBertFixtureWithHuggingFaceKeysAndShapes()
    {
        var tensors = SafeTensors.Load(Path.Combine(FixtureDir, "model.safetensors"));
        try
        {
            CollectionAssert.AreEqual(new long[] { 30522, 32 }, tensors["bert.embeddings.word_embeddings.weight"].shape);
            CollectionAssert.AreEqual(new long[] { 64, 32 }, tensors["bert.embeddings.position_embeddings.weight"].shape);
            CollectionAssert.AreEqual(new long[] { 32, 32 }, tensors["bert.encoder.layer.1.attention.self.query.weight"].shape);
            CollectionAssert.AreEqual(new long[] { 64, 32 }, tensors["bert.encoder.layer.0.intermediate.dense.weight"].shape);
            CollectionAssert.AreEqual(new long[] { 2, 32 }, tensors["cls.seq_relationship.weight"].shape);
            CollectionAssert.AreEqual(new long[] { 30522 }, tensors["cls.predictions.bias"].shape);
            Assert.IsFalse(tensors.ContainsKey("cls.predictions.decoder.weight"), "the decoder is tied to the word embeddings and not saved");
            Assert.AreEqual(46, tensors.Count, "5 embeddings + 2 layers x 16 + 2 pooler + 7 pretraining-head tensors");
            Assert.IsTrue(tensors.Values.All(t => t.dtype == torch.ScalarType.Float32));
            // Values read independently with Python's struct module: the bytes landed in the right tensors.
            Assert.AreEqual(0.02987455390393734f, tensors["bert.embeddings.word_embeddings.weight"][0, 1].item<float>());
            Assert.AreEqual(-0.05727040767669678f, tensors["cls.seq_relationship.bias"][0].item<float>());
            Assert.AreEqual(-0.04698752984404564f, tensors["bert.encoder.layer.1.output.LayerNorm.bias"][31].item<float>());
            Assert.AreEqual("pt", SafeTensors.ReadMetadata(Path.Combine(FixtureDir, "model.safetensors"))["format"]);
        }
        finally
        {
            foreach (var t in tensors.Values)
                t.Dispose();
        }
    }
}
