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
/// Fine-tunes an encoder checkpoint with a sequence head — classification (<c>TextClassification</c>) or one-output
/// regression (<c>SentenceSimilarity</c>) — on the shared training loop, and returns a
/// <see cref="SequenceClassificationTransformer"/>. With <c>MaxEpochs = 0</c> it trains nothing and scores with the
/// checkpoint's own head. <see cref="SentenceSimilarityOptions.Architecture"/> BiEncoder trains the checkpoint's encoder
/// as sentence-transformers does (cosine of separately pooled sentences; no head) on the same loop.
/// </summary>
public sealed class SequenceClassificationEstimator : IEstimator<SequenceClassificationTransformer>
{
    private readonly IHostEnvironment env;
    private readonly SequenceFineTuningOptions options;
    private readonly string checkpointDirectory;          // the resolved folder (a Hub id is downloaded once, here)
    private readonly string? predictedLabelColumnName;    // null for regression (SentenceSimilarity)
    private readonly SentenceSimilarityArchitecture architecture;
    private readonly float labelScale;                     // BiEncoder: cosine × labelScale is the score

    internal SequenceClassificationEstimator(IHostEnvironment env, SequenceFineTuningOptions options)
    {
        predictedLabelColumnName = (options as TextClassificationOptions)?.OutputColumnName;
        FineTuningChecks.Common(options.BatchSize, options.MaxEpochs, options.MaxSequenceLength, options.Sentence2ColumnName is null ? 3 : 4, options.Training, options.ClassifierDropout);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Sentence1ColumnName, "sentence1ColumnName");
        ArgumentException.ThrowIfNullOrWhiteSpace(options.LabelColumnName, "labelColumnName");
        ArgumentException.ThrowIfNullOrWhiteSpace(options.ScoreColumnName, "scoreColumnName");
        if (options is TextClassificationOptions) ArgumentException.ThrowIfNullOrWhiteSpace(predictedLabelColumnName, "outputColumnName");
        (architecture, labelScale) = options is SentenceSimilarityOptions similarity ? BiEncoderChecks(similarity) : (SentenceSimilarityArchitecture.CrossEncoder, 1f);
        FineTuningChecks.KnownPrecision(options.Precision, offersInt8: true, options.Device);
        this.env = env;
        this.options = options;
        checkpointDirectory = CheckpointSource.Resolve(options.CheckpointDirectory, "CheckpointDirectory", "checkpointDirectory", env);
    }

    private bool IsRegression => predictedLabelColumnName is null;

    private bool IsBiEncoder => architecture == SentenceSimilarityArchitecture.BiEncoder;

    // The similarity options that only make sense (or only go wrong) for one architecture, refused by name.
    private static (SentenceSimilarityArchitecture, float) BiEncoderChecks(SentenceSimilarityOptions options)
    {
        if (!Enum.IsDefined(options.Architecture))
            throw new ArgumentException($"Architecture {(int)options.Architecture} is not one of {string.Join(", ", Enum.GetNames<SentenceSimilarityArchitecture>())}.", "Architecture");
        if (options.Architecture != SentenceSimilarityArchitecture.BiEncoder) return (options.Architecture, 1f);
        if (!(options.LabelScale > 0) || !float.IsFinite(options.LabelScale))
            throw new ArgumentException($"LabelScale {options.LabelScale} must be a positive finite number: the label meaning 'identical' (5 for STS-B, 1 for labels in [0, 1]).", "LabelScale");
        if (options.Sentence2ColumnName is null)
            throw new ArgumentException("Architecture BiEncoder compares two sentences: Sentence2ColumnName must name the second text column.", "Sentence2ColumnName");
        if (options.FreezeEncoder)
            throw new ArgumentException("FreezeEncoder would leave a BiEncoder nothing to train (it has no head); use MaxEpochs = 0 to score with the checkpoint as it is.", "FreezeEncoder");
        return (options.Architecture, options.LabelScale);
    }

    private bool Trains => options.MaxEpochs > 0 && options.Training.MaxSteps is not 0;

    /// <summary>What the last <see cref="Fit"/> trained (loss and validation history), or null when it trained nothing.</summary>
    public TrainingResult? LastTrainingResult { get; private set; }

    /// <summary>
    /// The input plus <c>PredictedLabel</c> (key, carrying the label's KeyValues) and <c>Score</c> (float vector), or for
    /// regression <c>Score</c> (float). Errors name the column: missing text or label, non-key or non-float label.
    /// </summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var placeholder = Settings(IsRegression ? null : LabelClasses.FromNames(["0", "1"]), options.MaxSequenceLength);
        var (inputs, outputs) = SequenceClassificationTransformer.Columns(placeholder);
        var label = new InputColumnSpec(options.LabelColumnName, IsRegression ? NumberDataViewType.Single : new KeyDataViewType(typeof(uint), 1), IsOptional: !Trains);
        var shape = EstimatorSchema.GetOutputSchema(inputSchema, inputs.Append(label), outputs);
        if (IsRegression || !inputSchema.TryFindColumn(options.LabelColumnName, out var labelColumn)) return shape;
        // The predicted key carries the label's own KeyValues (whatever their type), so MapKeyToValue gives the label's values back.
        var predicted = FineTuningChecks.WithLabelKeyValues(shape.First(c => c.Name == predictedLabelColumnName), labelColumn);
        return new SchemaShape(shape.Select(c => c.Name == predicted.Name ? predicted : c));
    }

    private SequenceClassificationSettings Settings(LabelClasses? classes, int maxLength) => new(options.Sentence1ColumnName, options.Sentence2ColumnName,
        options.ScoreColumnName, predictedLabelColumnName, classes, options.Head, maxLength, options.BatchSize, options.Device, options.Precision,
        Architecture: architecture, LabelScale: labelScale);

    /// <summary>Loads the checkpoint, creates or reuses its head, trains (unless MaxEpochs is 0) and returns the transformer.</summary>
    public SequenceClassificationTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        GetOutputSchema(EstimatorSchema.ShapeOf(input.Schema));
        LabelClasses? classes = null;
        IEncoderTokenizer? tokenizer = null;
        int? folderMaxLength = null;   // BiEncoder: sentence_bert_config.json's max_seq_length, as TransformerEmbedding caps
        return FitRun.Run(env, options.Training, IsRegression ? "SentenceSimilarity" : "TextClassification", _ =>
        {
            if (IsBiEncoder)
            {
                // The encoder and tokenizer live where modules.json's Transformer module says (the folder itself, usually).
                var folder = SentenceTransformersFolder.TryRead(checkpointDirectory);
                tokenizer = EncoderCheckpoint.LoadTokenizer(folder?.TransformerDirectory ?? checkpointDirectory);
                folderMaxLength = folder?.MaxSeqLength;
                return (EncoderClassifier)BiEncoderModel.Load(checkpointDirectory);
            }
            var info = EncoderCheckpoint.ReadInfo(checkpointDirectory);
            classes = IsRegression ? null : FineTuningChecks.ResolveClasses(input.Schema, options.LabelColumnName, info, Trains, checkpointDirectory);
            int numLabels = classes?.Count ?? 1;
            FineTuningChecks.HeadMatches(info, numLabels, Trains, options.LabelColumnName, checkpointDirectory);
            tokenizer = EncoderCheckpoint.LoadTokenizer(checkpointDirectory);
            // A fresh head is drawn from the run's seed.
            return EncoderCheckpoint.LoadForSequenceClassification(checkpointDirectory, numLabels, options.Head, requireHead: !Trains, options.ClassifierDropout);
        }, (model, run) =>
        {
            int maxLength = Math.Min(Math.Min(options.MaxSequenceLength, folderMaxLength ?? int.MaxValue), model.MaxPositions);
            if (Trains) Train(model, tokenizer!, input, classes, maxLength, run);
            return new SequenceClassificationTransformer(Settings(classes, maxLength), model, tokenizer!);
        });
    }

    private void Train(EncoderClassifier model, IEncoderTokenizer tokenizer, IDataView input, LabelClasses? classes, int maxLength, FitRun run)
    {
        var device = Models.DeviceName.Parse(options.Device);
        SequenceExamples Read(IDataView data) => SequenceExamples.Read(data, options.Sentence1ColumnName, options.Sentence2ColumnName, options.LabelColumnName, classes?.Count);
        var training = Read(input);
        if (options.ValidationSet is not null && classes is not null) FineTuningChecks.SameClasses(options.ValidationSet, options.LabelColumnName, classes);
        var validation = options.ValidationSet is null ? null : Read(options.ValidationSet);
        if (options.FreezeEncoder) foreach (var p in model.EncoderParameters()) p.requires_grad = false;
        model.to(device);
        run.Channel.Info($"Fine-tuning on {training.Count} rows ({validation?.Count ?? 0} validation), {numLabelsText(classes)}.");
        LastTrainingResult = model is BiEncoderModel biEncoder
            ? run.Train(model, new BiEncoderSimilarityTask(biEncoder, tokenizer, training, validation, options.BatchSize, maxLength, labelScale, device), options.Training, options.MaxEpochs)
            : run.Train(model, new SequenceClassificationTask(model, tokenizer, training, validation, options.BatchSize, maxLength, device), options.Training, options.MaxEpochs);
        model.eval();
        string numLabelsText(LabelClasses? c) => c is not null ? $"{c.Count} classes" : IsBiEncoder ? $"bi-encoder cosine × {labelScale}" : "regression";
    }
}
