using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNet.Transformers.Checkpoints;
using MLNet.Transformers.Models;
using MLNet.Transformers.Tokenization;
using MLNet.Transformers.Training;
using MLNet.Transformers.Training.FineTuning;
using MLNet.Transformers.Transforms;
using MLNet.Transformers.Transforms.FineTuning;
using MLNet.Transformers.Transforms.Infrastructure;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Transformers.Estimators;

/// <summary>
/// Fine-tunes an encoder checkpoint with a per-token head for named-entity recognition or part-of-speech tagging
/// (<c>NamedEntityRecognition</c>) on the shared training loop, and returns a <see cref="TokenClassificationTransformer"/>.
/// With <c>MaxEpochs = 0</c> it trains nothing and tags with the checkpoint's own head.
/// </summary>
public sealed class TokenClassificationEstimator : IEstimator<TokenClassificationTransformer>
{
    private readonly IHostEnvironment env;
    private readonly string checkpointDirectory;   // the resolved folder (a Hub id is downloaded once, here)
    private readonly NamedEntityRecognitionOptions options;

    internal TokenClassificationEstimator(IHostEnvironment env, NamedEntityRecognitionOptions options)
    {
        FineTuningChecks.Common(options.BatchSize, options.MaxEpochs, options.MaxSequenceLength, 3, options.Training, options.ClassifierDropout);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Sentence1ColumnName, "sentence1ColumnName");
        ArgumentException.ThrowIfNullOrWhiteSpace(options.LabelColumnName, "labelColumnName");
        ArgumentException.ThrowIfNullOrWhiteSpace(options.OutputColumnName, "outputColumnName");
        FineTuningChecks.KnownPrecision(options.Precision);
        this.env = env;
        this.options = options;
        checkpointDirectory = CheckpointSource.Resolve(options.CheckpointDirectory, nameof(options.CheckpointDirectory), nameof(options), env);
    }

    private bool Trains => options.MaxEpochs > 0 && options.Training.MaxSteps is not 0;

    /// <summary>What the last <see cref="Fit"/> trained (loss and validation history), or null when it trained nothing.</summary>
    public TrainingResult? LastTrainingResult { get; private set; }

    private TokenClassificationSettings Settings(LabelClasses classes, int maxLength) =>
        new(options.Sentence1ColumnName, options.OutputColumnName, classes, maxLength, options.BatchSize, options.Device, options.Precision);

    /// <summary>The input plus the output column: a variable-length vector of keys carrying the label's KeyValues. Errors name the column.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var (inputs, outputs) = TokenClassificationTransformer.Columns(Settings(LabelClasses.FromNames(["0", "1"]), options.MaxSequenceLength));
        var label = new InputColumnSpec(options.LabelColumnName, new VectorDataViewType(new KeyDataViewType(typeof(uint), 1)), IsOptional: !Trains);
        var shape = EstimatorSchema.GetOutputSchema(inputSchema, inputs.Append(label), outputs);
        if (!inputSchema.TryFindColumn(options.LabelColumnName, out var labelColumn)) return shape;
        var predicted = FineTuningChecks.WithLabelKeyValues(shape.First(c => c.Name == options.OutputColumnName), labelColumn);
        return new SchemaShape(shape.Select(c => c.Name == predicted.Name ? predicted : c));
    }

    /// <summary>Loads the checkpoint, creates or reuses its head, trains (unless MaxEpochs is 0) and returns the transformer.</summary>
    public TokenClassificationTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        GetOutputSchema(EstimatorSchema.ShapeOf(input.Schema));
        LabelClasses? classes = null;
        IEncoderTokenizer? tokenizer = null;
        return FitRun.Run(env, options.Training, "NamedEntityRecognition", _ =>
        {
            var info = EncoderCheckpoint.ReadInfo(checkpointDirectory);
            classes = FineTuningChecks.ResolveClasses(input.Schema, options.LabelColumnName, info, Trains, checkpointDirectory);
            FineTuningChecks.HeadMatches(info, classes.Count, Trains, options.LabelColumnName, checkpointDirectory);
            tokenizer = EncoderCheckpoint.LoadTokenizer(checkpointDirectory);
            // A fresh head is drawn from the run's seed.
            return EncoderCheckpoint.LoadForTokenClassification(checkpointDirectory, classes.Count, requireHead: !Trains, options.ClassifierDropout);
        }, (model, run) =>
        {
            int maxLength = Math.Min(options.MaxSequenceLength, model.MaxPositions);
            if (Trains) Train(model, tokenizer!, input, classes!, maxLength, run);
            return new TokenClassificationTransformer(Settings(classes!, maxLength), model, tokenizer!);
        });
    }

    private void Train(EncoderClassifier model, IEncoderTokenizer tokenizer, IDataView input, LabelClasses classes, int maxLength, FitRun run)
    {
        var device = Models.DeviceName.Parse(options.Device);
        List<TokenExample> Read(IDataView data) => TokenExamples.Read(data, options.Sentence1ColumnName, options.LabelColumnName, classes.Count, tokenizer, maxLength);
        var training = Read(input);
        if (options.ValidationSet is not null) FineTuningChecks.SameClasses(options.ValidationSet, options.LabelColumnName, classes);
        var validation = options.ValidationSet is null ? null : Read(options.ValidationSet);
        if (options.FreezeEncoder) foreach (var p in model.EncoderParameters()) p.requires_grad = false;
        model.to(device);
        run.Channel.Info($"Fine-tuning a token head ({classes.Count} classes) on {training.Count} windows ({validation?.Count ?? 0} validation).");
        var task = new TokenClassificationTask(model, tokenizer, training, validation, options.BatchSize, maxLength, device);
        LastTrainingResult = run.Train(model, task, options.Training, options.MaxEpochs);
        model.eval();
    }
}
