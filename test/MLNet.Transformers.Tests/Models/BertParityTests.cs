using System.Text.Json;
using MLNet.Transformers.Models.Bert;
using static TorchSharp.torch;

namespace MLNet.Transformers.Tests.Models;

/// <summary>
/// The fixture is a random BertForPreTraining saved in real HF layout, with outputs computed by HF's modeling_bert math
/// (see TestData/bert-tiny-random/README.md). Everything must match to 1e-4.
/// </summary>
[TestClass]
public sealed class BertParityTests
{
    private const double Tolerance = 1e-4;
    internal static readonly string FixtureDirectory = Path.Combine(AppContext.BaseDirectory, "TestData", "bert-tiny-random");

    [TestMethod]
    public void Fixture_AllOutputsMatchHuggingFace()
    {
        var expected = Expected.Load();
        using var model = BertCheckpoint.LoadForPreTraining(FixtureDirectory);
        model.eval();
        using var scope = NewDisposeScope();
        var output = model.forward(expected.InputIds, expected.TokenTypeIds, expected.AttentionMask);

        AssertClose(expected.LastHiddenState, output.Encoder.LastHiddenState, "last_hidden_state");
        AssertClose(expected.PoolerOutput, output.Encoder.PoolerOutput!, "pooler_output");
        AssertClose(expected.NspLogits, output.SeqRelationshipLogits!, "nsp_logits");
        for (int row = 0; row < expected.MlmPositions.Length; row++)
            for (int j = 0; j < expected.MlmPositions[row].Length; j++)
                AssertClose(expected.MlmLogits[row][j], output.PredictionLogits[row, expected.MlmPositions[row][j]], $"mlm logits row {row} pos {expected.MlmPositions[row][j]}");
    }

    [TestMethod]
    public void Fixture_EncoderAloneMatchesAndSkipsPretrainingHeads()
    {
        var expected = Expected.Load();
        using var encoder = BertCheckpoint.LoadEncoder(FixtureDirectory);
        encoder.eval();
        using var scope = NewDisposeScope();
        var output = encoder.forward(expected.InputIds, expected.TokenTypeIds, expected.AttentionMask);
        AssertClose(expected.LastHiddenState, output.LastHiddenState, "last_hidden_state");
        AssertClose(expected.PoolerOutput, output.PoolerOutput!, "pooler_output");
    }

    [TestMethod]
    public void Fixture_MaskedPositionsSelectTheSameLogits()
    {
        var expected = Expected.Load();
        using var model = BertCheckpoint.LoadForPreTraining(FixtureDirectory);
        model.eval();
        using var scope = NewDisposeScope();
        var selected = zeros(expected.InputIds.shape, ScalarType.Bool);
        for (int row = 0; row < expected.MlmPositions.Length; row++)
            foreach (var p in expected.MlmPositions[row]) selected[row, p] = tensor(true);
        var logits = model.forward(expected.InputIds, expected.TokenTypeIds, expected.AttentionMask, selected).PredictionLogits;
        Assert.AreEqual(4L, logits.shape[0]);
        AssertClose(expected.MlmLogits[1][1], logits[3], "row 1, second mask");
    }

    /// <summary>Same shape, dtype and values (bit-for-bit for floats that are not NaN).</summary>
    internal static bool Identical(Tensor a, Tensor b) =>
        a.shape.SequenceEqual(b.shape) && a.dtype == b.dtype && a.eq(b).all().item<bool>();

    internal static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        CollectionAssert.AreEqual(expected.shape, actual.shape, $"{what}: shape");
        var diff = (expected.to(ScalarType.Float64) - actual.detach().to(ScalarType.Float64)).abs().max().item<double>();
        Assert.IsTrue(diff <= Tolerance, $"{what}: max |diff| = {diff:G3} > {Tolerance}");
    }

    /// <summary>The fixture's expected.json as tensors.</summary>
    internal sealed record Expected(Tensor InputIds, Tensor TokenTypeIds, Tensor AttentionMask, Tensor LastHiddenState,
        Tensor PoolerOutput, Tensor NspLogits, int[][] MlmPositions, Tensor[][] MlmLogits)
    {
        public static Expected Load()
        {
            var root = JsonDocument.Parse(File.ReadAllText(Path.Combine(FixtureDirectory, "expected.json"))).RootElement;
            var mlm = root.GetProperty("mlm_logits_at_positions");
            var positions = mlm.GetProperty("positions").Deserialize<int[][]>()!;
            var logits = mlm.GetProperty("logits").Deserialize<double[][][]>()!
                .Select(row => row.Select(v => tensor(v, ScalarType.Float64)).ToArray()).ToArray();
            return new Expected(Longs(root, "input_ids"), Longs(root, "token_type_ids"), Longs(root, "attention_mask"),
                Doubles3(root, "last_hidden_state"), Doubles2(root, "pooler_output"), Doubles2(root, "nsp_logits"), positions, logits);
        }

        private static Tensor Longs(JsonElement root, string name)
        {
            var rows = root.GetProperty(name).Deserialize<long[][]>()!;
            return tensor(rows.SelectMany(r => r).ToArray()).reshape(rows.Length, rows[0].Length);
        }

        private static Tensor Doubles2(JsonElement root, string name)
        {
            var rows = root.GetProperty(name).Deserialize<double[][]>()!;
            return tensor(rows.SelectMany(r => r).ToArray(), ScalarType.Float64).reshape(rows.Length, rows[0].Length);
        }

        private static Tensor Doubles3(JsonElement root, string name)
        {
            var rows = root.GetProperty(name).Deserialize<double[][][]>()!;
            return tensor(rows.SelectMany(r => r.SelectMany(c => c)).ToArray(), ScalarType.Float64)
                .reshape(rows.Length, rows[0].Length, rows[0][0].Length);
        }
    }
}
