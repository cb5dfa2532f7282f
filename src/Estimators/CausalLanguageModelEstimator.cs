using TorchSharp;
using Microsoft.ML;
using Microsoft.ML.Runtime;
using MLNet.Transformers.Checkpoints;
using MLNet.Transformers.Models;
using MLNet.Transformers.Models.Gpt2;
using MLNet.Transformers.Tokenization;
using MLNet.Transformers.Training;
using MLNet.Transformers.Transforms;
using MLNet.Transformers.Transforms.Infrastructure;
using static TorchSharp.torch;

namespace MLNet.Transformers.Estimators;

/// <summary>
/// Pretrains (or continues pretraining) a GPT-2-style decoder on raw text with next-token prediction and returns a
/// <see cref="CausalLanguageModelTransformer"/> that scores text; its <see cref="CausalLanguageModelTransformer.SaveCheckpoint"/>
/// writes an HF <c>GPT2LMHeadModel</c> checkpoint that <c>GenerateText</c> loads. Use it through
/// <c>mlContext.Transforms.Text.PretrainCausalLanguageModel</c>.
/// </summary>
public sealed class CausalLanguageModelEstimator : IEstimator<CausalLanguageModelTransformer>
{
    private readonly IHostEnvironment env;
    private readonly string? checkpointDirectory, tokenizerDirectory;   // the resolved folders (a Hub id is downloaded once, here)
    private readonly CausalLanguageModelOptions options;

    internal CausalLanguageModelEstimator(IHostEnvironment env, CausalLanguageModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.TextColumnName, nameof(options.TextColumnName));
        ArgumentNullException.ThrowIfNull(options.Training, nameof(options.Training));
        ArgumentNullException.ThrowIfNull(options.ModelConfig, nameof(options.ModelConfig));
        if (options.CheckpointDirectory is null && (options.MaxEpochs == 0 || options.Training.MaxSteps is 0))
            throw new ArgumentException("MaxEpochs = 0 needs a CheckpointDirectory: a model trained from scratch must train.", nameof(options));
        if (options.BlockSize < 2) throw new ArgumentOutOfRangeException(nameof(options), options.BlockSize, "BlockSize must be at least 2.");
        if (options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), options.BatchSize, "BatchSize must be at least 1.");
        if (options.MaxEpochs < 0) throw new ArgumentOutOfRangeException(nameof(options), options.MaxEpochs, "MaxEpochs must not be negative.");
        FineTuningChecks.KnownPrecision(options.Precision);
        if (options.ValidationFraction is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(options), options.ValidationFraction, "ValidationFraction must be in [0, 1).");
        this.env = env;
        this.options = options;
        checkpointDirectory = CheckpointSource.ResolveOptional(options.CheckpointDirectory, nameof(options.CheckpointDirectory), nameof(options), env);
        tokenizerDirectory = CheckpointSource.ResolveOptional(options.TokenizerDirectory, nameof(options.TokenizerDirectory), nameof(options), env, HubFileSet.Tokenizer);
    }

    /// <summary>What the last <see cref="Fit"/> trained: loss history, validation history, tokens/s (null if it did not train).</summary>
    public TrainingResult? LastTrainingResult { get; private set; }

    /// <summary>Validation perplexity after the last <see cref="Fit"/>, or null without validation data.</summary>
    public double? LastValidationPerplexity { get; private set; }

    private CausalLanguageModelSettings Settings => new(options.TextColumnName, options.LogLikelihoodColumnName, options.TokenCountColumnName,
        options.ScoringStride, options.BatchSize, options.Device, options.Precision);

    /// <summary>Output schema: the input plus LogLikelihood (float) and TokenCount (int).</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var (inputs, outputs) = CausalLanguageModelTransformer.Columns(Settings);
        return EstimatorSchema.GetOutputSchema(inputSchema, inputs, outputs);
    }

    /// <summary>Reads the text column, builds (or loads) tokenizer and model, trains, and returns the scoring transformer.</summary>
    public CausalLanguageModelTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        GetOutputSchema(EstimatorSchema.ShapeOf(input.Schema));
        bool trains = options.MaxEpochs > 0 && options.Training.MaxSteps is not 0;
        IReadOnlyList<string> texts = [];
        Gpt2BpeTokenizer? tokenizer = null;
        return FitRun.Run(env, options.Training, "PretrainCausalLanguageModel", run =>
        {
            texts = trains || checkpointDirectory is null ? MaskedLanguageModelEstimator.ReadTexts(input, options.TextColumnName) : [];
            tokenizer = CreateTokenizer(texts, run.Channel);
            return CreateModel(tokenizer);
        }, (model, run) =>
        {
            if (trains) Train(model, tokenizer!, texts, run);
            return new CausalLanguageModelTransformer(Settings, model, tokenizer!);
        });
    }

    private Gpt2BpeTokenizer CreateTokenizer(IReadOnlyList<string> texts, IChannel channel)
    {
        if (checkpointDirectory is not null) return Gpt2BpeTokenizer.FromDirectory(checkpointDirectory);
        if (tokenizerDirectory is not null) return Gpt2BpeTokenizer.FromDirectory(tokenizerDirectory);
        channel.Info($"Training a byte-level BPE vocabulary of {options.VocabularySize} tokens on {texts.Count} rows.");
        return ByteLevelBpeTrainer.Train(texts, options.VocabularySize);
    }

    private Gpt2LMHeadModel CreateModel(Gpt2BpeTokenizer tokenizer)
    {
        if (checkpointDirectory is not null)
        {
            var loaded = Gpt2Checkpoint.Load(checkpointDirectory);
            CausalLanguageModelTransformer.RequireVocabulary(tokenizer, loaded.Config, checkpointDirectory);
            return loaded;
        }
        var config = options.ModelConfig with
        {
            VocabSize = tokenizer.VocabularySize,
            BosTokenId = tokenizer.EndOfTextId,
            EosTokenId = tokenizer.EndOfTextId,
            NPositions = Math.Max(options.ModelConfig.NPositions, options.BlockSize),
        };
        return ModuleDisposal.Build(() => new Gpt2LMHeadModel(config), model => Gpt2Initializer.Initialize(model, config));
    }

    private void Train(Gpt2LMHeadModel model, Gpt2BpeTokenizer tokenizer, IReadOnlyList<string> texts, FitRun run)
    {
        int blockSize = Math.Min(options.BlockSize, model.Config.NPositions);
        var documents = texts.Where(t => t.Length > 0).ToList();
        IReadOnlyList<string> trainDocs = documents, validDocs = [];
        if (options.ValidationSet is not null)
            validDocs = MaskedLanguageModelEstimator.ReadTexts(options.ValidationSet, options.TextColumnName).Where(t => t.Length > 0).ToList();
        else if (options.ValidationFraction > 0 && documents.Count > 1)
        {
            var shuffled = documents.ToArray();
            new Random(run.Seed).Shuffle(shuffled);
            int n = Math.Max(1, (int)Math.Round(documents.Count * options.ValidationFraction));
            validDocs = shuffled.Take(n).ToList();
            trainDocs = shuffled.Skip(n).ToList();
        }
        var train = Training.CausalLanguageModel.CausalLanguageModelPacker.Pack(trainDocs.Select(tokenizer.Encode), tokenizer.EndOfTextId, blockSize);
        var valid = Training.CausalLanguageModel.CausalLanguageModelPacker.Pack(validDocs.Select(tokenizer.Encode), tokenizer.EndOfTextId, blockSize);
        if (train.Count == 0)
            throw new InvalidOperationException($"Column '{options.TextColumnName}' yielded no training tokens: the input has no non-empty text.");
        run.Channel.Info($"{trainDocs.Count} training documents → {train.Count} blocks of {blockSize}; {validDocs.Count} validation documents → {valid.Count} blocks.");
        var device = Models.DeviceName.Parse(options.Device);
        model.to(device);
        var task = new CausalLanguageModelTask(model, train, valid, tokenizer.EndOfTextId, options.BatchSize, device);
        LastTrainingResult = run.Train(model, task, options.Training, options.MaxEpochs);
        LastValidationPerplexity = task.LastValidationPerplexity;
    }
}
