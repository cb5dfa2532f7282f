using Microsoft.ML;
using MLNet.Transformers.FreshProcess;

namespace MLNet.Transformers.Tests.Infrastructure;

/// <summary>Builds the test-only TextStatsTransformer with a small "checkpoint" directory (config.json + a nested file).</summary>
internal sealed class TextStatsFixture : IDisposable
{
    public TextStatsFixture(float scale = 2f)
    {
        CheckpointDirectory = Path.Combine(Path.GetTempPath(), "textstats-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(CheckpointDirectory, "tokenizer"));
        File.WriteAllText(Path.Combine(CheckpointDirectory, "config.json"), $"{{\"scale\": {scale}}}");
        File.WriteAllText(Path.Combine(CheckpointDirectory, "tokenizer", "vocab.txt"), "[PAD]\n[UNK]\nhello\n");
    }

    public string CheckpointDirectory { get; }

    public TextStatsTransformer Create(int batchSize = 4, string? second = "Text2") =>
        new(new TextStatsOptions("Stats", "Text", second, batchSize), CheckpointDirectory);

    public TextStatsEstimator Estimator(int batchSize = 4, string? second = "Text2") =>
        new(new TextStatsOptions("Stats", "Text", second, batchSize), CheckpointDirectory);

    public static float[] Expected(ProbeData.Row row, float scale = 2f, bool withSecond = true)
    {
        float[] a = TextStatsTransformer.Stats(row.Text, scale);
        float[] b = withSecond ? TextStatsTransformer.Stats(row.Text2, scale) : [0, 0];
        return [a[0] + b[0], a[1] + b[1]];
    }

    public static ProbeData.Row[] MakeRows(int count) =>
        Enumerable.Range(0, count).Select(i => new ProbeData.Row
        {
            Text = string.Join(' ', Enumerable.Repeat("w" + i, i % 5)),
            Text2 = i % 3 == 0 ? "" : "second text " + i,
            Id = i,
        }).ToArray();

    public void Dispose()
    {
        if (Directory.Exists(CheckpointDirectory)) Directory.Delete(CheckpointDirectory, recursive: true);
    }
}
