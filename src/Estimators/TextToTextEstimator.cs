using TorchSharp;
using Microsoft.ML;
using Microsoft.ML.Runtime;
using MLNet.Transformers.Checkpoints;
using MLNet.Transformers.Models;
using MLNet.Transformers.Models.T5;
using MLNet.Transformers.Tokenization;
using MLNet.Transformers.Training;
using MLNet.Transformers.Training.Objectives.SpanCorruption;
using MLNet.Transformers.Transforms;
using MLNet.Transformers.Transforms.Infrastructure;
using static TorchSharp.torch;

namespace MLNet.Transformers.Estimators;

/// <summary>
/// Fine-tunes a T5 checkpoint on (source, target) text pairs — labels = target ids + &lt;/s&gt;, decoder input =
/// [decoder_start_token_id] + labels shifted right, cross-entropy over the target tokens — and returns a
/// <see cref="TextToTextTransformer"/> that generates a target for each source. With <c>MaxEpochs = 0</c> it loads the
/// checkpoint as it is. Use it through <c>mlContext.Transforms.Text.TextToText</c>.
/// </summary>
public sealed class TextToTextEstimator : IEstimator<TextToTextTransformer>
{
    private readonly IHostEnvironment env;
    private readonly string checkpointDirectory;
    private readonly string outputColumnName;
    private readonly string sourceColumnName;
    private readonly string targetColumnName;
    private readonly TextToTextOptions options;

    internal TextToTextEstimator(IHostEnvironment env, string checkpointDirectory, string outputColumnName, string sourceColumnName,
        string targetColumnName, TextToTextOptions? options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(outputColumnName);
        ArgumentException.ThrowIfNullOrWhiteSpace(sourceColumnName);
        ArgumentException.ThrowIfNullOrWhiteSpace(targetColumnName);
        options ??= new TextToTextOptions();
        ArgumentNullException.ThrowIfNull(options.Generation, nameof(options.Generation));
        ArgumentNullException.ThrowIfNull(options.Training, nameof(options.Training));
        options.Generation.Validate();
        if (options.MaxEpochs < 0) throw new ArgumentOutOfRangeException(nameof(options), options.MaxEpochs, "MaxEpochs must not be negative.");
        if (options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), options.BatchSize, "BatchSize must be at least 1.");
        if (options.MaxSourceLength < 1) throw new ArgumentOutOfRangeException(nameof(options), options.MaxSourceLength, "MaxSourceLength must be at least 1 (room for </s>).");
        if (options.MaxTargetLength < 1) throw new ArgumentOutOfRangeException(nameof(options), options.MaxTargetLength, "MaxTargetLength must be at least 1 (room for </s>).");
        var outputs = new[] { outputColumnName, options.Generation.GeneratedTokenIdsColumnName, options.TargetLogLikelihoodColumnName }.Where(c => c is not null).ToList();
        if (outputs.Distinct().Count() != outputs.Count)
            throw new ArgumentException($"The output columns ({string.Join(", ", outputs)}) must have different names.", nameof(options));
        this.env = env;
        this.checkpointDirectory = CheckpointSource.Resolve(checkpointDirectory, nameof(checkpointDirectory), nameof(checkpointDirectory), env);
        this.outputColumnName = outputColumnName;
        this.sourceColumnName = sourceColumnName;
        this.targetColumnName = targetColumnName;
        this.options = options;
    }

    /// <summary>What the last <see cref="Fit"/> trained: loss history, validation history, tokens/s (null if it did not train).</summary>
    public TrainingResult? LastTrainingResult { get; private set; }

    private bool Trains => options.MaxEpochs > 0 && options.Training.MaxSteps is not 0;

    private TextToTextSettings Settings(int seed) => new(outputColumnName, sourceColumnName, targetColumnName, options.TargetLogLikelihoodColumnName,
        options.MaxSourceLength, options.MaxTargetLength, options.BatchSize, TextGenerationEstimator.Clone(options.Generation), seed, options.Device);

    /// <summary>Output schema: the input plus the generated text (and the token-id vector and target log-likelihood columns when asked for).
    /// Training (MaxEpochs &gt; 0) also needs the target column.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var (inputs, outputs) = TextToTextTransformer.Columns(Settings(0));
        if (Trains) inputs = [.. inputs.Where(i => i.Name != targetColumnName), new(targetColumnName, Microsoft.ML.Data.TextDataViewType.Instance)];
        return EstimatorSchema.GetOutputSchema(inputSchema, inputs, outputs);
    }

    /// <summary>Checks the schema, loads the checkpoint, fine-tunes it on the pairs (unless MaxEpochs is 0) and returns the transformer.</summary>
    public TextToTextTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        GetOutputSchema(EstimatorSchema.ShapeOf(input.Schema));
        int generationSeed = 0;
        T5Tokenizer? tokenizer = null;
        return FitRun.Run(env, options.Training, "TextToText", _ =>
        {
            generationSeed = options.Generation.Seed ?? Persistence.MLNetInternals.GetSeed(env) ?? 0;
            tokenizer = T5Tokenizer.FromDirectory(checkpointDirectory);
            return T5Checkpoint.Load(checkpointDirectory);
        }, (model, run) =>
        {
            TextToTextTransformer.RequireVocabulary(tokenizer!, model.Config, $"'{checkpointDirectory}'");
            if (Trains) Train(model, tokenizer!, input, run);
            return new TextToTextTransformer(Settings(generationSeed), model, tokenizer!);
        });
    }

    private void Train(T5ForConditionalGeneration model, T5Tokenizer tokenizer, IDataView input, FitRun run)
    {
        var train = ReadPairs(input, tokenizer, "training data");
        var valid = options.ValidationSet is null ? [] : ReadPairs(options.ValidationSet, tokenizer, "ValidationSet");
        if (train.Count == 0) throw new InvalidOperationException($"The training data has no rows: nothing to fine-tune on.");
        run.Channel.Info($"Fine-tuning on {train.Count} pairs ({valid.Count} validation pairs).");
        var device = DeviceName.Parse(options.Device);
        model.to(device);
        var task = new TextToTextTask(model, (_, _) => train, train.Count, valid, options.BatchSize, device);
        LastTrainingResult = run.Train(model, task, options.Training, options.MaxEpochs);
    }

    // Every row must have a source and a target: ML.NET reads a missing (null) string as empty, so empty is refused, naming the row.
    private List<TextToTextPair> ReadPairs(IDataView data, T5Tokenizer tokenizer, string what)
    {
        var sources = MaskedLanguageModelEstimator.ReadTexts(data, sourceColumnName);
        var targets = MaskedLanguageModelEstimator.ReadTexts(data, targetColumnName);
        var pairs = new List<TextToTextPair>(sources.Count);
        for (int row = 0; row < sources.Count; row++)
        {
            if (string.IsNullOrWhiteSpace(sources[row]))
                throw new InvalidOperationException($"Row {row} of the {what} has a null or empty source in column '{sourceColumnName}'.");
            if (string.IsNullOrWhiteSpace(targets[row]))
                throw new InvalidOperationException($"Row {row} of the {what} has a null or empty target in column '{targetColumnName}'.");
            pairs.Add(new TextToTextPair(
                tokenizer.Encode(sources[row], addEndOfSequence: true, maxLength: options.MaxSourceLength).ToArray(),
                tokenizer.Encode(targets[row], addEndOfSequence: true, maxLength: options.MaxTargetLength).ToArray()));
        }
        return pairs;
    }
}
