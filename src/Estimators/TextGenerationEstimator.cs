using Microsoft.ML;
using Microsoft.ML.Runtime;
using MLNet.Transformers.Checkpoints;
using MLNet.Transformers.Transforms;
using MLNet.Transformers.Transforms.Infrastructure;

namespace MLNet.Transformers.Estimators;

/// <summary>
/// Text generation from a GPT-2-layout checkpoint; <see cref="Fit"/> trains nothing, it loads the checkpoint and returns a
/// <see cref="TextGenerationTransformer"/>. Use it through <c>mlContext.Transforms.Text.GenerateText</c>.
/// </summary>
public sealed class TextGenerationEstimator : IEstimator<TextGenerationTransformer>
{
    private readonly IHostEnvironment env;
    private readonly string checkpointDirectory;
    private readonly string outputColumnName;
    private readonly string inputColumnName;
    private readonly TextGenerationOptions options;

    internal TextGenerationEstimator(IHostEnvironment env, string checkpointDirectory, string outputColumnName, string inputColumnName, TextGenerationOptions? options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(outputColumnName);
        ArgumentException.ThrowIfNullOrWhiteSpace(inputColumnName);
        options ??= new TextGenerationOptions();
        options.Validate();
        if (options.GeneratedTokenIdsColumnName == outputColumnName)
            throw new ArgumentException($"GeneratedTokenIdsColumnName must differ from the output column '{outputColumnName}'.", nameof(options));
        this.env = env;
        this.checkpointDirectory = CheckpointSource.Resolve(checkpointDirectory, nameof(checkpointDirectory), nameof(checkpointDirectory), env);
        this.outputColumnName = outputColumnName;
        this.inputColumnName = inputColumnName;
        this.options = options;
    }

    /// <summary>Output schema: the input plus the generated text column (and the token-id vector column when asked for).</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var (inputs, outputs) = TextGenerationTransformer.Columns(outputColumnName, inputColumnName, options);
        return EstimatorSchema.GetOutputSchema(inputSchema, inputs, outputs);
    }

    /// <summary>Checks the schema and loads the checkpoint.</summary>
    public TextGenerationTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        GetOutputSchema(EstimatorSchema.ShapeOf(input.Schema));
        int seed = options.Seed ?? Persistence.MLNetInternals.GetSeed(env) ?? 0;
        var settings = new TextGenerationSettings(outputColumnName, inputColumnName, Clone(options), seed);
        return TextGenerationTransformer.FromCheckpoint(settings, checkpointDirectory);
    }

    // The transformer keeps its own copy: changing the options object after Fit must not change a fitted model.
    internal static TextGenerationOptions Clone(TextGenerationOptions o) => new()
    {
        MaxNewTokens = o.MaxNewTokens, DoSample = o.DoSample, Temperature = o.Temperature, TopK = o.TopK, TopP = o.TopP,
        RepetitionPenalty = o.RepetitionPenalty, NumBeams = o.NumBeams, LengthPenalty = o.LengthPenalty, StopStrings = o.StopStrings?.ToArray(),
        EosTokenId = o.EosTokenId, Seed = o.Seed, UseCache = o.UseCache, GeneratedTokenIdsColumnName = o.GeneratedTokenIdsColumnName,
        BatchSize = o.BatchSize, Device = o.Device, Precision = o.Precision, LengthBucketing = o.LengthBucketing,
    };
}
