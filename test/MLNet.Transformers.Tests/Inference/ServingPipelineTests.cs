using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transformers.Tests.Checkpoints;
using MLNet.Transformers.Tests.Models;
using MLNet.Transformers.Tokenization;
using MLNet.Transformers.Transforms;

namespace MLNet.Transformers.Tests.Inference;

[TestClass]
public sealed class ServingPipelineTests
{
    private const int MaxLength = 32;
    private static string Fixture => BertParityTests.FixtureDirectory;
    private static readonly string[] Texts = ["a charming and often affecting journey .", "dull", "Café naïve résumé — 東京, a longer sentence that goes on and on past the thirty-two token limit of this test for sure"];

    private sealed class PairRow { public string Text { get; set; } = ""; public string Second { get; set; } = ""; }

    private static long[][] Column(IDataView view, string name) =>
        view.GetColumn<VBuffer<long>>(name).Select(v => v.DenseValues().ToArray()).ToArray();

    [TestMethod]
    public void TokenizeForTransformer_OutputsEqualTheTokenizersPaddedEncoding()
    {
        var ml = new MLContext(seed: 1);
        var rows = Texts.Select((t, i) => new PairRow { Text = t, Second = i == 1 ? "" : "the second text" }).ToArray();
        var data = ml.Data.LoadFromEnumerable(rows);
        var scored = ml.Transforms.Text.TokenizeForTransformer(Fixture, "Text", "Second", MaxLength).Fit(data).Transform(data);
        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Int64, MaxLength), scored.Schema["input_ids"].Type);

        var tokenizer = BertWordPieceTokenizer.FromDirectory(Fixture);
        var (ids, mask, types) = (Column(scored, "input_ids"), Column(scored, "attention_mask"), Column(scored, "token_type_ids"));
        for (int i = 0; i < rows.Length; i++)
        {
            var e = tokenizer.Encode(rows[i].Text, rows[i].Second, MaxLength, padToMaxLength: true);
            CollectionAssert.AreEqual(e.InputIds.Select(x => (long)x).ToArray(), ids[i], $"row {i} ids");
            CollectionAssert.AreEqual(e.AttentionMask.Select(x => (long)x).ToArray(), mask[i], $"row {i} mask");
            CollectionAssert.AreEqual(e.TokenTypeIds.Select(x => (long)x).ToArray(), types[i], $"row {i} token types");
        }
    }

    [TestMethod]
    public void TokenizeForTransformer_ModelSavedBeforeRobertaSupport_StillLoadsAndTokenizes()
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "TestData", "tokenize-for-transformer-v1");
        var ml = new MLContext(seed: 1);
        var rows = new[] { new PairRow { Text = "A charming journey", Second = "dull" }, new PairRow { Text = "it 's slow , very slow .", Second = "unflinchingly bleak" } };
        var data = ml.Data.LoadFromEnumerable(rows);
        var loaded = ml.Model.Load(Path.Combine(folder, "tokenize-v1.zip"), out _);
        var scored = loaded.Transform(data);
        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Int64, 16), scored.Schema["input_ids"].Type);
        var tokenizer = BertWordPieceTokenizer.FromDirectory(folder);
        var (ids, types) = (Column(scored, "input_ids"), Column(scored, "token_type_ids"));
        for (int i = 0; i < rows.Length; i++)
        {
            var e = tokenizer.Encode(rows[i].Text, rows[i].Second, 16, padToMaxLength: true);
            Assert.AreEqual(tokenizer.ClsTokenId, e.InputIds[0]);
            CollectionAssert.AreEqual(e.InputIds.Select(x => (long)x).ToArray(), ids[i], $"row {i} ids");
            CollectionAssert.AreEqual(e.TokenTypeIds.Select(x => (long)x).ToArray(), types[i], $"row {i} token types");
        }
        Assert.IsFalse(ids.SelectMany(r => r).Contains(tokenizer.UnkTokenId), "every word is in the small vocabulary (lower-cased, split into pieces)");
    }

    [TestMethod]
    public void TokenizeForTransformer_NamesAMissingColumn()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new PairRow() });
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.Text.TokenizeForTransformer(Fixture, "Missing").Fit(data));
        StringAssert.Contains(error.Message, "Missing");
    }

    /// <summary>The serving pipeline: ours-tokenize → ApplyOnnxModel (our export), one row per ONNX Runtime call.</summary>
    internal static ITransformer ServingPipeline(MLContext ml, IDataView data, string onnxPath, string vocabularyDirectory, int maxLength, string[]? outputs = null)
    {
        string[] inputs = ["input_ids", "attention_mask", "token_type_ids"];
        var shapes = inputs.ToDictionary(n => n, _ => new[] { 1, maxLength });
        return ml.Transforms.Text.TokenizeForTransformer(vocabularyDirectory, "Text", maxSequenceLength: maxLength)
            .Append(ml.Transforms.ApplyOnnxModel(outputs ?? ["embedding"], inputs, onnxPath, shapes, gpuDeviceId: null, fallbackToCpu: false, recursionLimit: 100))
            .Fit(data);
    }

    [TestMethod]
    public void ServingPipeline_SavesLoadsAndMatchesTorchSharp_InAProcessWithoutLibtorch()
    {
        using var dir = new TempDirectory();
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Texts.Select(t => new PairRow { Text = t }));
        var settings = new TransformerEmbeddingSettings("E", "Text", null, EmbeddingPooling.Mean, MaxLength, 8);
        using var torch = ml.Transforms.Text.TransformerEmbedding(Fixture, settings).Fit(data);
        var expected = torch.Embed(Texts);
        var onnx = Path.Combine(dir.Path, "encoder.onnx");
        torch.ExportOnnx(onnx);

        var serving = ServingPipeline(ml, data, onnx, Fixture, MaxLength);
        var zip = Path.Combine(dir.Path, "serving.zip");
        ml.Model.Save(serving, data.Schema, zip);
        var loaded = ml.Model.Load(zip, out _);
        var inProcess = loaded.Transform(data).GetColumn<VBuffer<float>>("embedding").Select(v => v.DenseValues().ToArray()).ToArray();
        for (int i = 0; i < Texts.Length; i++)
            Assert.IsLessThan(1e-4, OnnxExportTests.MaxAbs(inProcess[i], expected[i]), $"row {i}, loaded in this process");

        var lines = RunServingProcess([zip, "embedding", .. Texts]);
        Assert.AreEqual("libtorch shipped=False loaded=False", lines[0], "the serving process must run without libtorch");
        for (int i = 0; i < Texts.Length; i++)
        {
            var values = lines[i + 1].Split(' ').Select(s => float.Parse(s, CultureInfo.InvariantCulture)).ToArray();
            Assert.IsLessThan(1e-4, OnnxExportTests.MaxAbs(values, expected[i]), $"row {i}, fresh process");
        }
    }

    // test/MLNet.Transformers.OnnxServing is built beside this project (not copied here: its folder has no libtorch).
    internal static string[] RunServingProcess(string[] arguments)
    {
        string dll = Path.GetFullPath(AppContext.BaseDirectory.Replace("MLNet.Transformers.Tests", "MLNet.Transformers.OnnxServing"))
            + "MLNet.Transformers.OnnxServing.dll";
        Assert.IsTrue(File.Exists(dll), $"{dll} is not built");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(dll);
        foreach (var a in arguments) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.AreEqual(0, process.ExitCode, $"serving process failed:\n{stdout}\n{stderr.Result}");
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
    }
}
