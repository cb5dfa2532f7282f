using System.Text.Json;
using static TorchSharp.torch;

namespace MLNet.Transformers.Tests.Models.T5;

/// <summary>TestData/t5-tiny-random/expected.json as tensors (see its README), and the 1e-4 comparison.</summary>
internal sealed record T5Fixture(string[] Texts, Tensor InputIds, Tensor AttentionMask, Tensor EncoderLastHiddenState,
    long[][] Labels, Tensor DecoderInputIds, int[][] LogitPositions, Tensor[][] Logits, long[] GreedyInputIds, long[] GreedyNewTokenIds)
{
    public const double Tolerance = 1e-4;
    public static readonly string Directory = Path.Combine(AppContext.BaseDirectory, "TestData", "t5-tiny-random");

    public static T5Fixture Load()
    {
        var root = JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory, "expected.json"))).RootElement;
        var hidden = root.GetProperty("encoder_last_hidden_state").Deserialize<double[][][]>()!;
        var logits = root.GetProperty("logits_at_decoder_positions");
        var greedy = root.GetProperty("greedy");
        return new T5Fixture(
            root.GetProperty("texts").Deserialize<string[]>()!,
            Longs(root.GetProperty("input_ids").Deserialize<long[][]>()!),
            Longs(root.GetProperty("attention_mask").Deserialize<long[][]>()!),
            tensor(hidden.SelectMany(r => r.SelectMany(c => c)).ToArray(), ScalarType.Float64).reshape(hidden.Length, hidden[0].Length, hidden[0][0].Length),
            root.GetProperty("labels").Deserialize<long[][]>()!,
            Longs(root.GetProperty("decoder_input_ids").Deserialize<long[][]>()!),
            logits.GetProperty("positions").Deserialize<int[][]>()!,
            logits.GetProperty("logits").Deserialize<double[][][]>()!.Select(row => row.Select(v => tensor(v, ScalarType.Float64)).ToArray()).ToArray(),
            greedy.GetProperty("input_ids").Deserialize<long[]>()!,
            greedy.GetProperty("new_token_ids").Deserialize<long[]>()!);
    }

    public static IReadOnlyList<long[]> InputIdRows()
    {
        var root = JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory, "expected.json"))).RootElement;
        return root.GetProperty("input_ids").Deserialize<long[][]>()!;
    }

    private static Tensor Longs(long[][] rows) => tensor(rows.SelectMany(r => r).ToArray()).reshape(rows.Length, rows[0].Length);

    public static double MaxDiff(Tensor expected, Tensor actual) =>
        (expected.to(ScalarType.Float64) - actual.detach().to(ScalarType.Float64)).abs().max().item<double>();

    public static void AssertClose(Tensor expected, Tensor actual, string what, double tolerance = Tolerance)
    {
        CollectionAssert.AreEqual(expected.shape, actual.shape, $"{what}: shape");
        var diff = MaxDiff(expected, actual);
        Assert.IsTrue(diff <= tolerance, $"{what}: max |diff| = {diff:G3} > {tolerance}");
    }
}
