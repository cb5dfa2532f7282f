using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNet.Transformers.Checkpoints;
using MLNet.Transformers.Models;
using MLNet.Transformers.Tokenization;
using MLNet.Transformers.Training;
using MLNet.Transformers.Transforms;
using MLNet.Transformers.Transforms.Infrastructure;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Transformers.Estimators;

/// <summary>
/// Fine-tunes a BERT, RoBERTa or DistilBERT checkpoint (chosen by config.json's model_type) for extractive question answering
/// (HF <c>…ForQuestionAnswering</c>: start and end vectors over the tokens of <c>[CLS] question [SEP] context [SEP]</c> windows,
/// RoBERTa <c>&lt;s&gt; question &lt;/s&gt;&lt;/s&gt; context &lt;/s&gt;</c>) and returns a <see cref="QuestionAnsweringTransformer"/>.
/// Use it through <c>mlContext.MulticlassClassification.Trainers.QuestionAnswer</c>.
/// </summary>
public sealed class QuestionAnsweringEstimator : IEstimator<QuestionAnsweringTransformer>
{
    private readonly IHostEnvironment env;
    private readonly string checkpointDirectory;   // the resolved folder (a Hub id is downloaded once, here)
    private readonly QuestionAnsweringOptions options;

    internal QuestionAnsweringEstimator(IHostEnvironment env, QuestionAnsweringOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.Training, nameof(options.Training));
        if (options.TopK < 1) throw new ArgumentOutOfRangeException(nameof(options), options.TopK, "TopK must be at least 1.");
        FineTuningChecks.KnownPrecision(options.Precision);
        if (options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), options.BatchSize, "BatchSize must be at least 1.");
        if (options.MaxEpochs < 0) throw new ArgumentOutOfRangeException(nameof(options), options.MaxEpochs, "MaxEpochs must not be negative.");
        if (options.MaxAnswerLength < 1) throw new ArgumentOutOfRangeException(nameof(options), options.MaxAnswerLength, "MaxAnswerLength must be at least 1.");
        if (options.MaxQuestionLength < 1) throw new ArgumentOutOfRangeException(nameof(options), options.MaxQuestionLength, "MaxQuestionLength must be at least 1.");
        if (options.DocumentStride is < 0) throw new ArgumentOutOfRangeException(nameof(options), options.DocumentStride, "DocumentStride must not be negative.");
        this.env = env;
        this.options = options;
        checkpointDirectory = CheckpointSource.Resolve(options.CheckpointDirectory, nameof(options.CheckpointDirectory), nameof(options), env);
    }

    private bool Trains => options.MaxEpochs > 0 && options.Training.MaxSteps is not 0;

    /// <summary>What the last <see cref="Fit"/> trained: loss history, validation history, tokens/s (null if it did not train).</summary>
    public TrainingResult? LastTrainingResult { get; private set; }

    /// <summary>Training rows skipped by the last <see cref="Fit"/> because their answer was not at AnswerIndex (<see cref="QuestionAnsweringOptions.SkipMisalignedAnswers"/>).</summary>
    public int LastSkippedRows { get; private set; }

    /// <summary>Output schema: the input plus Answer (text vector), Score (float vector) and, if asked, AnswerStart (int vector).</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var (inputs, outputs) = QuestionAnsweringTransformer.Columns(Settings(maxSequenceLength: 384, maxPositions: 512, specialTokens: 3));
        // The training columns are only read (and so only required) when the estimator trains.
        var required = Trains
            ? inputs.Append(new InputColumnSpec(options.TrainingAnswerColumnName, TextDataViewType.Instance))
                    .Append(new InputColumnSpec(options.AnswerIndexColumnName, NumberDataViewType.Int32))
            : inputs;
        return EstimatorSchema.GetOutputSchema(inputSchema, required, outputs);
    }

    /// <summary>Loads the checkpoint, trains on the rows' answers (unless MaxEpochs is 0) and returns the transformer.</summary>
    public QuestionAnsweringTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        GetOutputSchema(EstimatorSchema.ShapeOf(input.Schema));
        IEncoderTokenizer? tokenizer = null;
        return FitRun.Run(env, options.Training, "QuestionAnswer", _ =>
        {
            // The family's tokenizer, checked against the model's vocab_size, before any weight is allocated.
            tokenizer = EncoderCheckpoint.LoadTokenizer(checkpointDirectory);
            // Answering with the checkpoint as it is needs its trained span head; training may start one fresh.
            return EncoderCheckpoint.LoadForQuestionAnswering(checkpointDirectory, requireHead: !Trains);
        }, (model, run) =>
        {
            int maxLength = options.MaxSequenceLength ?? Math.Min(384, model.MaxPositions);
            var settings = Settings(maxLength, model.MaxPositions, tokenizer!.PairTemplate.Count);
            if (settings.DocumentStride >= maxLength)
                throw new ArgumentOutOfRangeException(nameof(options), settings.DocumentStride, $"DocumentStride must be smaller than MaxSequenceLength ({maxLength}).");
            if (Trains) Train(model, tokenizer, settings, input, run);
            return new QuestionAnsweringTransformer(settings, model, tokenizer);
        });
    }

    private QuestionAnsweringSettings Settings(int maxSequenceLength, int maxPositions, int specialTokens)
    {
        if (maxSequenceLength < 8 || maxSequenceLength > maxPositions)
            throw new ArgumentOutOfRangeException(nameof(options), maxSequenceLength, $"MaxSequenceLength must be in [8, {maxPositions}] (the tokens the model has positions for).");
        return new(options.ContextColumnName, options.QuestionColumnName, options.PredictedAnswerColumnName, options.ScoreColumnName,
            options.AnswerStartColumnName, options.TopK, maxSequenceLength, options.DocumentStride ?? Math.Min(128, maxSequenceLength / 2),
            // A question may take all but the pair's special tokens ([CLS] [SEP] [SEP]; RoBERTa's four) and one context token of a window.
            Math.Min(options.MaxQuestionLength, maxSequenceLength - specialTokens - 1), options.MaxAnswerLength, options.AllowNoAnswer, options.BatchSize, options.Device, options.Precision);
    }

    private void Train(QuestionAnsweringModel model, IEncoderTokenizer tokenizer, QuestionAnsweringSettings settings, IDataView input, FitRun run)
    {
        var device = Models.DeviceName.Parse(options.Device);
        var encoder = new QaEncoder(tokenizer, settings.MaxSequenceLength, settings.DocumentStride, settings.MaxQuestionLength);
        var training = Windows(input, encoder, "training", run.Channel);
        var validation = options.ValidationSet is null ? [] : Windows(options.ValidationSet, encoder, "validation", run.Channel);
        if (training.Count == 0) throw new InvalidOperationException("The training data has no rows to train on.");
        model.to(device);
        var task = new QuestionAnsweringTask(model, training, validation, options.BatchSize, tokenizer.PadTokenId, device);
        LastTrainingResult = run.Train(model, task, options.Training, options.MaxEpochs);
        model.eval();
    }

    // Every window of every row, with its target; checks that each TrainingAnswer is the context's text at AnswerIndex.
    private List<QaTrainingWindow> Windows(IDataView data, QaEncoder encoder, string what, IChannel channel)
    {
        var windows = new List<QaTrainingWindow>();
        int row = -1, skipped = 0, reducedStride = 0;
        foreach (var (context, question, answer, index) in ReadRows(data))
        {
            row++;
            bool hasAnswer = answer.Length > 0;
            if (hasAnswer && (index < 0 || index + answer.Length > context.Length || string.CompareOrdinal(context, index, answer, 0, answer.Length) != 0))
            {
                string found = index >= 0 && index < context.Length ? context.Substring(index, Math.Min(answer.Length, context.Length - index)) : "(outside the context)";
                string message = $"Row {row} of the {what} data: {options.TrainingAnswerColumnName} '{answer}' is not the text of {options.ContextColumnName} at {options.AnswerIndexColumnName} = {index} (found '{found}').";
                if (!options.SkipMisalignedAnswers) throw new InvalidOperationException(message + " Fix the row, or set SkipMisalignedAnswers to skip such rows.");
                if (skipped++ < 5) channel.Warning(message + " Skipped.");
                continue;
            }
            var example = encoder.Encode(question, context);
            if (example.Geometry.StrideReduced && example.Windows.Count > 1) reducedStride++;
            foreach (var window in example.Windows)
            {
                var (s, e) = hasAnswer ? window.AnswerPositions(example.ContextTokens, index, index + answer.Length) : (0, 0);
                windows.Add(new QaTrainingWindow(window, s, e));
            }
        }
        LastSkippedRows = skipped;
        if (skipped > 0) channel.Warning($"{skipped} of {row + 1} {what} rows skipped: their answer is not at their AnswerIndex.");
        if (reducedStride > 0) channel.Info($"{reducedStride} {what} rows have questions so long that windows overlap by window − 1 tokens instead of DocumentStride.");
        channel.Info($"{row + 1 - skipped} {what} rows → {windows.Count} windows.");
        return windows;
    }

    private IEnumerable<(string Context, string Question, string Answer, int Index)> ReadRows(IDataView data)
    {
        var schema = data.Schema;
        DataViewSchema.Column Column(string name) => schema.GetColumnOrNull(name) ?? throw new ArgumentOutOfRangeException(nameof(data), $"Input column '{name}' not found.");
        var columns = new[] { Column(options.ContextColumnName), Column(options.QuestionColumnName), Column(options.TrainingAnswerColumnName), Column(options.AnswerIndexColumnName) };
        using var cursor = data.GetRowCursor(columns);
        var context = cursor.GetGetter<ReadOnlyMemory<char>>(columns[0]);
        var question = cursor.GetGetter<ReadOnlyMemory<char>>(columns[1]);
        var answer = cursor.GetGetter<ReadOnlyMemory<char>>(columns[2]);
        var index = cursor.GetGetter<int>(columns[3]);
        ReadOnlyMemory<char> c = default, q = default, a = default;
        int i = 0;
        while (cursor.MoveNext())
        {
            context(ref c); question(ref q); answer(ref a); index(ref i);
            yield return (c.ToString(), q.ToString(), a.ToString(), i);
        }
    }
}
