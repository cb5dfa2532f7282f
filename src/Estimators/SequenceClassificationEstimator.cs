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

/// <summary>Everything a sequence fine-tuning run needs, from <see cref="TextClassificationOptions"/> or <see cref="SentenceSimilarityOptions"/>.</summary>
internal sealed record SequenceClassificationJob(string CheckpointDirectory, string LabelColumnName, string ScoreColumnName, string? PredictedLabelColumnName,
    string Sentence1ColumnName, string? Sentence2ColumnName, int BatchSize, int MaxEpochs, IDataView? ValidationSet, int MaxSequenceLength,
    ClassificationHead Head, bool FreezeEncoder, double? ClassifierDropout, string Device, TrainerOptions Training, Precision Precision)
{
    public bool IsRegression => PredictedLabelColumnName is null;

    public static SequenceClassificationJob From(TextClassificationOptions o) => new(o.CheckpointDirectory, o.LabelColumnName, o.ScoreColumnName,
        o.OutputColumnName, o.Sentence1ColumnName, o.Sentence2ColumnName, o.BatchSize, o.MaxEpochs, o.ValidationSet, o.MaxSequenceLength,
        o.Head, o.FreezeEncoder, o.ClassifierDropout, o.Device, o.Training, o.Precision);

    public static SequenceClassificationJob From(SentenceSimilarityOptions o) => new(o.CheckpointDirectory, o.LabelColumnName, o.ScoreColumnName,
        null, o.Sentence1ColumnName, o.Sentence2ColumnName, o.BatchSize, o.MaxEpochs, o.ValidationSet, o.MaxSequenceLength,
        o.Head, o.FreezeEncoder, o.ClassifierDropout, o.Device, o.Training, o.Precision);
}

/// <summary>
/// Fine-tunes an encoder checkpoint with a sequence head — classification (<c>TextClassification</c>) or one-output
/// regression (<c>SentenceSimilarity</c>) — on the shared training loop, and returns a
/// <see cref="SequenceClassificationTransformer"/>. With <c>MaxEpochs = 0</c> it trains nothing and scores with the
/// checkpoint's own head.
/// </summary>
public sealed class SequenceClassificationEstimator : IEstimator<SequenceClassificationTransformer>
{
    private readonly IHostEnvironment env;
    private readonly SequenceClassificationJob job;

    internal SequenceClassificationEstimator(IHostEnvironment env, SequenceClassificationJob job)
    {
        FineTuningChecks.Common(job.BatchSize, job.MaxEpochs, job.MaxSequenceLength, job.Sentence2ColumnName is null ? 3 : 4, job.Training, job.ClassifierDropout);
        ArgumentException.ThrowIfNullOrWhiteSpace(job.Sentence1ColumnName, "sentence1ColumnName");
        ArgumentException.ThrowIfNullOrWhiteSpace(job.LabelColumnName, "labelColumnName");
        ArgumentException.ThrowIfNullOrWhiteSpace(job.ScoreColumnName, "scoreColumnName");
        if (job.PredictedLabelColumnName is not null) ArgumentException.ThrowIfNullOrWhiteSpace(job.PredictedLabelColumnName, "outputColumnName");
        FineTuningChecks.KnownPrecision(job.Precision, offersInt8: true, job.Device);
        this.env = env;
        // The job keeps the resolved folder: a Hub id is downloaded once, here.
        this.job = job with { CheckpointDirectory = CheckpointSource.Resolve(job.CheckpointDirectory, "CheckpointDirectory", "checkpointDirectory", env) };
    }

    private bool Trains => job.MaxEpochs > 0 && job.Training.MaxSteps is not 0;

    /// <summary>What the last <see cref="Fit"/> trained (loss and validation history), or null when it trained nothing.</summary>
    public TrainingResult? LastTrainingResult { get; private set; }

    /// <summary>
    /// The input plus <c>PredictedLabel</c> (key, carrying the label's KeyValues) and <c>Score</c> (float vector), or for
    /// regression <c>Score</c> (float). Errors name the column: missing text or label, non-key or non-float label.
    /// </summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var placeholder = Settings(job.IsRegression ? null : LabelClasses.FromNames(["0", "1"]), job.MaxSequenceLength);
        var (inputs, outputs) = SequenceClassificationTransformer.Columns(placeholder);
        var label = new InputColumnSpec(job.LabelColumnName, job.IsRegression ? NumberDataViewType.Single : new KeyDataViewType(typeof(uint), 1), IsOptional: !Trains);
        var shape = EstimatorSchema.GetOutputSchema(inputSchema, inputs.Append(label), outputs);
        if (job.IsRegression || !inputSchema.TryFindColumn(job.LabelColumnName, out var labelColumn)) return shape;
        // The predicted key carries the label's own KeyValues (whatever their type), so MapKeyToValue gives the label's values back.
        var predicted = FineTuningChecks.WithLabelKeyValues(shape.First(c => c.Name == job.PredictedLabelColumnName), labelColumn);
        return new SchemaShape(shape.Select(c => c.Name == predicted.Name ? predicted : c));
    }

    private SequenceClassificationSettings Settings(LabelClasses? classes, int maxLength) => new(job.Sentence1ColumnName, job.Sentence2ColumnName,
        job.ScoreColumnName, job.PredictedLabelColumnName, classes, job.Head, maxLength, job.BatchSize, job.Device, job.Precision);

    /// <summary>Loads the checkpoint, creates or reuses its head, trains (unless MaxEpochs is 0) and returns the transformer.</summary>
    public SequenceClassificationTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        GetOutputSchema(EstimatorSchema.ShapeOf(input.Schema));
        int seed = job.Training.ResolveSeed(env);
        manual_seed(seed);   // a fresh head is drawn from this seed
        var info = EncoderCheckpoint.ReadInfo(job.CheckpointDirectory);
        var classes = job.IsRegression ? null : FineTuningChecks.ResolveClasses(input.Schema, job.LabelColumnName, info, Trains, job.CheckpointDirectory);
        int numLabels = classes?.Count ?? 1;
        FineTuningChecks.HeadMatches(info, numLabels, Trains, job.LabelColumnName, job.CheckpointDirectory);
        using var channel = env.Start(job.IsRegression ? "SentenceSimilarity" : "TextClassification");
        var tokenizer = EncoderCheckpoint.LoadTokenizer(job.CheckpointDirectory);
        var model = EncoderCheckpoint.LoadForSequenceClassification(job.CheckpointDirectory, numLabels, job.Head, requireHead: !Trains, job.ClassifierDropout);
        try
        {
            int maxLength = Math.Min(job.MaxSequenceLength, model.MaxPositions);
            if (Trains) Train(model, tokenizer, input, classes, maxLength, seed, channel);
            return new SequenceClassificationTransformer(Settings(classes, maxLength), model, tokenizer);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private void Train(EncoderClassifier model, IEncoderTokenizer tokenizer, IDataView input, LabelClasses? classes, int maxLength, int seed, IChannel channel)
    {
        var device = Models.DeviceName.Parse(job.Device);
        SequenceExamples Read(IDataView data) => SequenceExamples.Read(data, job.Sentence1ColumnName, job.Sentence2ColumnName, job.LabelColumnName, classes?.Count);
        var training = Read(input);
        if (job.ValidationSet is not null && classes is not null) FineTuningChecks.SameClasses(job.ValidationSet, job.LabelColumnName, classes);
        var validation = job.ValidationSet is null ? null : Read(job.ValidationSet);
        if (job.FreezeEncoder) foreach (var p in model.EncoderParameters()) p.requires_grad = false;
        model.to(device);
        channel.Info($"Fine-tuning on {training.Count} rows ({validation?.Count ?? 0} validation), {numLabelsText(classes)}.");
        var task = new SequenceClassificationTask(model, tokenizer, training, validation, job.BatchSize, maxLength, device);
        LastTrainingResult = Trainer.Run(model, task, job.Training, job.MaxEpochs, seed, message => channel.Info(message), message => channel.Warning(message));
        model.eval();
        static string numLabelsText(LabelClasses? c) => c is null ? "regression" : $"{c.Count} classes";
    }
}
