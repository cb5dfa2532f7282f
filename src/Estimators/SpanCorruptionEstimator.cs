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
/// Pretrains (or continues pretraining) a T5 encoder-decoder on raw text with one of the T5 paper's unsupervised objectives and
/// returns a <see cref="SpanCorruptionTransformer"/> that fills sentinels; its <see cref="SpanCorruptionTransformer.SaveCheckpoint"/>
/// writes an HF <c>T5ForConditionalGeneration</c> folder that <c>TextToText</c> fine-tunes. Use it through
/// <c>mlContext.Transforms.Text.PretrainSpanCorruption</c>.
/// </summary>
public sealed class SpanCorruptionEstimator : IEstimator<SpanCorruptionTransformer>
{
    private readonly IHostEnvironment env;
    private readonly string? checkpointDirectory, tokenizerDirectory;   // the resolved folders (a Hub id is downloaded once, here)
    private readonly SpanCorruptionOptions options;

    internal SpanCorruptionEstimator(IHostEnvironment env, SpanCorruptionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.TextColumnName, nameof(options.TextColumnName));
        ArgumentException.ThrowIfNullOrWhiteSpace(options.OutputColumnName, nameof(options.OutputColumnName));
        ArgumentException.ThrowIfNullOrWhiteSpace(options.FilledColumnName, nameof(options.FilledColumnName));
        ArgumentNullException.ThrowIfNull(options.Training, nameof(options.Training));
        ArgumentNullException.ThrowIfNull(options.ModelConfig, nameof(options.ModelConfig));
        ArgumentNullException.ThrowIfNull(options.Generation, nameof(options.Generation));
        options.Generation.Validate();
        if (options.CheckpointDirectory is null && options.TokenizerDirectory is null)
            throw new ArgumentException("From scratch (no CheckpointDirectory) a TokenizerDirectory with T5's tokenizer.json is needed (a folder or a Hub id such as 'google-t5/t5-small').", nameof(options));
        if (options.CheckpointDirectory is null && (options.MaxEpochs == 0 || options.Training.MaxSteps is 0))
            throw new ArgumentException("MaxEpochs = 0 needs a CheckpointDirectory: a model trained from scratch must train.", nameof(options));
        if (!Enum.IsDefined(options.Objective)) throw new ArgumentOutOfRangeException(nameof(options), options.Objective, "Unknown Objective.");
        if (options.CorruptionRate is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(options), options.CorruptionRate, "CorruptionRate must be in (0, 1).");
        if (options.MeanSpanLength < 1) throw new ArgumentOutOfRangeException(nameof(options), options.MeanSpanLength, "MeanSpanLength must be at least 1.");
        if (options.InputLength < 3) throw new ArgumentOutOfRangeException(nameof(options), options.InputLength, "InputLength must be at least 3.");
        if (options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), options.BatchSize, "BatchSize must be at least 1.");
        if (options.MaxEpochs < 0) throw new ArgumentOutOfRangeException(nameof(options), options.MaxEpochs, "MaxEpochs must not be negative.");
        if (options.ValidationFraction is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(options), options.ValidationFraction, "ValidationFraction must be in [0, 1).");
        if (options.OutputColumnName == options.FilledColumnName)
            throw new ArgumentException($"OutputColumnName and FilledColumnName must differ (both '{options.OutputColumnName}').", nameof(options));
        this.env = env;
        this.options = options;
        checkpointDirectory = CheckpointSource.ResolveOptional(options.CheckpointDirectory, nameof(options.CheckpointDirectory), nameof(options), env);
        // The tokenizer folder is only read from scratch; with a checkpoint it is ignored, so not fetched.
        tokenizerDirectory = checkpointDirectory is null
            ? CheckpointSource.Resolve(options.TokenizerDirectory, nameof(options.TokenizerDirectory), nameof(options), env, HubFileSet.Tokenizer)
            : null;
    }

    /// <summary>What the last <see cref="Fit"/> trained: loss history, validation history, tokens/s (null if it did not train).</summary>
    public TrainingResult? LastTrainingResult { get; private set; }

    /// <summary>Mean validation loss per target token after the last <see cref="Fit"/> (the restored best weights'), or null without validation data.</summary>
    public double? LastValidationLoss { get; private set; }

    private SpanCorruptionSettings Settings(int seed) => new(options.TextColumnName, options.OutputColumnName, options.FilledColumnName,
        Math.Max(512, options.InputLength), TextGenerationEstimator.Clone(options.Generation), seed, options.Device);

    /// <summary>Output schema: the input plus the generated target and filled text columns (string).</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var (inputs, outputs) = SpanCorruptionTransformer.Columns(Settings(0));
        return EstimatorSchema.GetOutputSchema(inputSchema, inputs, outputs);
    }

    /// <summary>Reads the text column, loads or creates the model, pretrains it, and returns the sentinel-filling transformer.</summary>
    public SpanCorruptionTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        GetOutputSchema(EstimatorSchema.ShapeOf(input.Schema));
        bool trains = options.MaxEpochs > 0 && options.Training.MaxSteps is not 0;
        int generationSeed = 0;
        T5Tokenizer? tokenizer = null;
        return FitRun.Run(env, options.Training, "PretrainSpanCorruption", _ =>
        {
            generationSeed = options.Generation.Seed ?? Persistence.MLNetInternals.GetSeed(env) ?? 0;
            tokenizer = T5Tokenizer.FromDirectory(checkpointDirectory ?? tokenizerDirectory!);
            return CreateModel(tokenizer);
        }, (model, run) =>
        {
            TextToTextTransformer.RequireVocabulary(tokenizer!, model.Config, $"'{checkpointDirectory ?? tokenizerDirectory}'");
            if (trains) Train(model, tokenizer!, input, run);
            return new SpanCorruptionTransformer(Settings(generationSeed), model, tokenizer!);
        });
    }

    private T5ForConditionalGeneration CreateModel(T5Tokenizer tokenizer)
    {
        if (checkpointDirectory is not null) return T5Checkpoint.Load(checkpointDirectory);
        var config = options.ModelConfig with
        {
            VocabSize = Math.Max(options.ModelConfig.VocabSize, (tokenizer.VocabularySize + 127) / 128 * 128), // HF pads t5's 32,100 ids to 32,128 rows
            PadTokenId = tokenizer.PadId, EosTokenId = tokenizer.EosId, DecoderStartTokenId = tokenizer.PadId,
        };
        var model = new T5ForConditionalGeneration(config);
        T5Initializer.Initialize(model);
        return model;
    }

    private void Train(T5ForConditionalGeneration model, T5Tokenizer tokenizer, IDataView input, FitRun run)
    {
        var documents = MaskedLanguageModelEstimator.ReadTexts(input, options.TextColumnName).Where(t => !string.IsNullOrWhiteSpace(t)).ToList();
        IReadOnlyList<string> trainDocs = documents, validDocs = [];
        if (options.ValidationSet is not null)
            validDocs = MaskedLanguageModelEstimator.ReadTexts(options.ValidationSet, options.TextColumnName).Where(t => !string.IsNullOrWhiteSpace(t)).ToList();
        else if (options.ValidationFraction > 0 && documents.Count > 1)
        {
            var shuffled = documents.ToArray();
            new Random(run.Seed).Shuffle(shuffled);
            int n = Math.Max(1, (int)Math.Round(documents.Count * options.ValidationFraction));
            validDocs = shuffled.Take(n).ToList();
            trainDocs = shuffled.Skip(n).ToList();
        }
        int chunkLength = DocumentPacker.ChunkLength(options.Objective, options.InputLength, options.CorruptionRate, options.MeanSpanLength);
        var trainChunks = DocumentPacker.Pack(trainDocs.Select(d => tokenizer.Encode(d, addEndOfSequence: false)), chunkLength);
        var validChunks = DocumentPacker.Pack(validDocs.Select(d => tokenizer.Encode(d, addEndOfSequence: false)), chunkLength);
        if (trainChunks.Count == 0)
            throw new InvalidOperationException($"Column '{options.TextColumnName}' yielded no training tokens: the input has no non-empty text.");
        var builder = new PretrainingExampleBuilder(options.Objective, CorruptionVocabulary.FromTokenizer(tokenizer), options.CorruptionRate, options.MeanSpanLength);
        // A fresh corruption per epoch, drawn from (run.Seed, epoch, chunk) only; validation's is drawn once (epoch −1).
        List<TextToTextPair> Examples(IReadOnlyList<int[]> chunks, int epoch, int s) =>
            chunks.Select((c, i) => builder.Build(c, new Random(StableSeed.Mix(s, epoch, i)))).ToList();
        var valid = Examples(validChunks, -1, run.Seed);
        run.Channel.Info($"{options.Objective}: {trainDocs.Count} documents → {trainChunks.Count} chunks of {chunkLength} tokens; {validChunks.Count} validation chunks.");
        var device = DeviceName.Parse(options.Device);
        model.to(device);
        var task = new TextToTextTask(model, (epoch, s) => Examples(trainChunks, epoch, s), trainChunks.Count, valid, options.BatchSize, device);
        LastTrainingResult = run.Train(model, task, options.Training, options.MaxEpochs);
        var history = LastTrainingResult.ValidationHistory;
        LastValidationLoss = history.Count == 0 ? null : LastTrainingResult.RestoredBestStep is null ? history[^1].Loss : history.Min(v => v.Loss);
    }
}
