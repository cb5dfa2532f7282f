using System.Text.Json;
using static TorchSharp.torch;

namespace MLNet.Transformers.Tests.Models;

/// <summary>TestData/gpt2-tiny-random: a random GPT2LMHeadModel in HF layout and outputs computed with HF's math.</summary>
internal sealed class Gpt2Fixture
{
    public static readonly string Directory = Path.Combine(AppContext.BaseDirectory, "TestData", "gpt2-tiny-random");

    public required string[] Texts { get; init; }
    public required long[][] InputIds { get; init; }
    public required long[][] AttentionMask { get; init; }
    public required int[][] LogitPositions { get; init; }
    public required float[][][] Logits { get; init; }
    public required double[] LogLikelihoods { get; init; }
    public required int[] TokenCounts { get; init; }
    public required int[] GreedyPrompt { get; init; }
    public required int[] GreedyNewTokens { get; init; }

    public static Gpt2Fixture Load()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Directory, "expected.json")));
        var root = doc.RootElement;
        T[] Array<T>(JsonElement e, Func<JsonElement, T> f) => e.EnumerateArray().Select(f).ToArray();
        return new Gpt2Fixture
        {
            Texts = Array(root.GetProperty("texts"), e => e.GetString()!),
            InputIds = Array(root.GetProperty("input_ids"), r => Array(r, e => e.GetInt64())),
            AttentionMask = Array(root.GetProperty("attention_mask"), r => Array(r, e => e.GetInt64())),
            LogitPositions = Array(root.GetProperty("logits_at_positions").GetProperty("positions"), r => Array(r, e => e.GetInt32())),
            Logits = Array(root.GetProperty("logits_at_positions").GetProperty("logits"), r => Array(r, p => Array(p, e => e.GetSingle()))),
            LogLikelihoods = Array(root.GetProperty("log_likelihood_with_bos").GetProperty("values"), e => e.GetDouble()),
            TokenCounts = Array(root.GetProperty("log_likelihood_with_bos").GetProperty("token_counts"), e => e.GetInt32()),
            GreedyPrompt = Array(root.GetProperty("greedy").GetProperty("prompt_ids"), e => e.GetInt32()),
            GreedyNewTokens = Array(root.GetProperty("greedy").GetProperty("new_token_ids"), e => e.GetInt32()),
        };
    }

    public Tensor InputIdsTensor() => tensor(InputIds.SelectMany(r => r).ToArray()).view(InputIds.Length, -1);
    public Tensor AttentionMaskTensor() => tensor(AttentionMask.SelectMany(r => r).ToArray()).view(AttentionMask.Length, -1);

    public static void AssertClose(float[] expected, Tensor actual, double tolerance, string what)
    {
        var values = actual.to(ScalarType.Float32).cpu().data<float>().ToArray();
        Assert.HasCount(expected.Length, values, what);
        double worst = expected.Zip(values, (e, a) => Math.Abs(e - a)).Max();
        Assert.IsLessThanOrEqualTo(tolerance, worst, $"{what}: max |diff| {worst:E2}");
    }
}
