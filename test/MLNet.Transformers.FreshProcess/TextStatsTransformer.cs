using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNet.Transformers.Persistence;
using MLNet.Transformers.Transforms.Infrastructure;

namespace MLNet.Transformers.FreshProcess;

/// <summary>Options of <see cref="TextStatsTransformer"/> (saved as JSON in the model).</summary>
public sealed record TextStatsOptions(string OutputColumnName, string InputColumnName, string? SecondInputColumnName = null, int BatchSize = 4);

/// <summary>
/// Test-only transformer: text (plus an optional second text) → float[2] [characters × scale, words] and a text summary.
/// The scale comes from a "checkpoint" directory (config.json), saved and restored like a real checkpoint.
/// </summary>
public sealed class TextStatsTransformer : BatchedTransformerBase, ILoadableTransformer<TextStatsTransformer>
{
    private readonly string _checkpointDirectory;   // kept only to be saved; a real transformer would keep its weights
    private readonly float _scale;
    private readonly List<int> _batchSizes = new();

    public TextStatsTransformer(TextStatsOptions options, string checkpointDirectory) : base(options.BatchSize)
    {
        Options = options;
        _checkpointDirectory = checkpointDirectory;
        _scale = JsonDocument.Parse(File.ReadAllText(Path.Combine(checkpointDirectory, "config.json"))).RootElement.GetProperty("scale").GetSingle();
        InputColumns = options.SecondInputColumnName is null
            ? [new(options.InputColumnName, TextDataViewType.Instance)]
            : [new(options.InputColumnName, TextDataViewType.Instance), new(options.SecondInputColumnName, TextDataViewType.Instance, IsOptional: true)];
        OutputColumns = [
            new(options.OutputColumnName, new VectorDataViewType(NumberDataViewType.Single, 2)),
            new(options.OutputColumnName + "Summary", TextDataViewType.Instance)];
    }

    public TextStatsOptions Options { get; }

    /// <summary>Test instrumentation: the size of every batch MapBatch saw.</summary>
    public IReadOnlyList<int> BatchSizesSeen { get { lock (_batchSizes) return _batchSizes.ToArray(); } }

    public override IReadOnlyList<InputColumnSpec> InputColumns { get; }
    public override IReadOnlyList<OutputColumnSpec> OutputColumns { get; }

    public static float[] Stats(string text, float scale) =>
        [text.Length * scale, text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length];

    protected override void MapBatch(RowBatch batch)
    {
        lock (_batchSizes) _batchSizes.Add(batch.Count);
        string[] first = batch.GetInput<string>(Options.InputColumnName);
        string[]? second = Options.SecondInputColumnName is null ? null : batch.GetInput<string>(Options.SecondInputColumnName);
        var stats = new float[batch.Count][];
        for (int i = 0; i < batch.Count; i++)
        {
            float[] a = Stats(first[i], _scale);
            float[] b = second is null ? [0, 0] : Stats(second[i], _scale);
            stats[i] = [a[0] + b[0], a[1] + b[1]];
        }
        batch.SetOutput(Options.OutputColumnName, stats);
        batch.SetOutput(Options.OutputColumnName + "Summary", stats.Select(s => $"chars={s[0]} words={s[1]}").ToArray());
    }

    protected override void SavePayload(TransformerPayloadWriter writer)
    {
        writer.WriteJson("Options.json", Options);
        writer.WriteDirectory("Checkpoint", _checkpointDirectory);
    }

    public static TextStatsTransformer Load(IHostEnvironment env, TransformerPayloadReader payload)
    {
        var options = payload.ReadJson<TextStatsOptions>("Options.json");
        using var checkpoint = payload.RestoreDirectory("Checkpoint");
        return new TextStatsTransformer(options, checkpoint.Path);
    }
}

/// <summary>Estimator for <see cref="TextStatsTransformer"/> (nothing to learn; checks the schema).</summary>
public sealed class TextStatsEstimator(TextStatsOptions options, string checkpointDirectory) : IEstimator<TextStatsTransformer>
{
    private TextStatsTransformer Create() => new(options, checkpointDirectory);

    public TextStatsTransformer Fit(IDataView input)
    {
        var transformer = Create();
        transformer.GetOutputSchema(input.Schema);
        return transformer;
    }

    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var transformer = Create();
        return EstimatorSchema.GetOutputSchema(inputSchema, transformer.InputColumns, transformer.OutputColumns);
    }
}
