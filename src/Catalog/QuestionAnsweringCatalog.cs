using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transformers.Estimators;

namespace MLNet.Transformers;

/// <summary>Extractive question answering on <c>mlContext.MulticlassClassification</c>, where ML.NET puts its own QuestionAnswer trainer.</summary>
public static class QuestionAnsweringCatalog
{
    /// <summary>
    /// Fine-tunes a BERT, RoBERTa or DistilBERT checkpoint for extractive question answering (ML.NET's <c>QuestionAnswer</c> with any checkpoint,
    /// contexts of any length read in overlapping windows, exact character spans of the original text).
    /// Input columns: context and question (<see cref="string"/>); for training also the answer text (<see cref="string"/>, "" = no answer)
    /// and its character index in the context (<see cref="int"/>). Output columns: the answer column (text vector: top-k distinct answers,
    /// best first) and the score column (float vector: p_start·p_end of each).
    /// </summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="checkpointDirectory">Folder with config.json (model_type bert, roberta or distilbert), model.safetensors and the tokenizer files (vocab.txt, or vocab.json + merges.txt); or a Hugging Face Hub id, "org/name" or "org/name@revision" (downloaded into the Hub cache), or an encoder .onnx file.</param>
    /// <param name="contextColumnName">Input: the paragraph.</param>
    /// <param name="questionColumnName">Input: the question.</param>
    /// <param name="trainingAnswerColumnName">Training input: the answer text, equal to the context's text at the answer index.</param>
    /// <param name="answerIndexColumnName">Training input: the answer's character index in the context (SQuAD's answer_start).</param>
    /// <param name="predictedAnswerColumnName">Output: text vector of answers.</param>
    /// <param name="scoreColumnName">Output: float vector of scores.</param>
    /// <param name="topK">Answers per question.</param>
    /// <param name="batchSize">Windows per batch.</param>
    /// <param name="maxEpochs">Passes over the training data; 0 answers with the checkpoint's span head as it is.</param>
    /// <param name="validationSet">Optional validation rows (same columns) for the validation loss and early stopping.</param>
    public static QuestionAnsweringEstimator QuestionAnswer(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string checkpointDirectory, string contextColumnName = "Context", string questionColumnName = "Question",
        string trainingAnswerColumnName = "TrainingAnswer", string answerIndexColumnName = "AnswerIndex",
        string predictedAnswerColumnName = "Answer", string scoreColumnName = "Score", int topK = 3, int batchSize = 4, int maxEpochs = 10,
        IDataView? validationSet = null)
        => QuestionAnswer(catalog, new QuestionAnsweringOptions
        {
            CheckpointDirectory = checkpointDirectory, ContextColumnName = contextColumnName, QuestionColumnName = questionColumnName,
            TrainingAnswerColumnName = trainingAnswerColumnName, AnswerIndexColumnName = answerIndexColumnName,
            PredictedAnswerColumnName = predictedAnswerColumnName, ScoreColumnName = scoreColumnName,
            TopK = topK, BatchSize = batchSize, MaxEpochs = maxEpochs, ValidationSet = validationSet,
        });

    /// <summary>As the other overload, with every option (windowing, answer length, SQuAD 2.0 no-answer, training loop).</summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="options">Checkpoint, columns, windowing and training options.</param>
    public static QuestionAnsweringEstimator QuestionAnswer(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, QuestionAnsweringOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new QuestionAnsweringEstimator(Persistence.MLNetInternals.GetEnvironment(catalog), options);
    }

    /// <summary>
    /// SQuAD exact match and F1 of scored data: the first value of <paramref name="predictedAnswerColumnName"/> (text vector, or text)
    /// against the gold answers in <paramref name="goldAnswersColumnName"/> (text vector of all gold answers, or a single text;
    /// none or only "" = an unanswerable question).
    /// </summary>
    /// <param name="catalog">The multiclass classification catalog.</param>
    /// <param name="data">Data scored by a question-answering transformer.</param>
    /// <param name="goldAnswersColumnName">Gold answers: text vector (e.g. <c>GoldAnswers</c> from <see cref="SquadDataset"/>) or text (e.g. <c>TrainingAnswer</c>).</param>
    /// <param name="predictedAnswerColumnName">Predicted answers, best first.</param>
    public static QuestionAnsweringMetrics EvaluateQuestionAnswering(this MulticlassClassificationCatalog catalog, IDataView data,
        string goldAnswersColumnName = "GoldAnswers", string predictedAnswerColumnName = "Answer")
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(data);
        var predictions = TextValues(data, predictedAnswerColumnName).Select(v => v.FirstOrDefault() ?? "");
        var golds = TextValues(data, goldAnswersColumnName);
        return QuestionAnsweringMetrics.Compute(predictions.Zip(golds, (p, g) => (p, (IReadOnlyList<string>)g)));
    }

    private static IEnumerable<string[]> TextValues(IDataView data, string name)
    {
        var column = data.Schema.GetColumnOrNull(name) ?? throw new ArgumentOutOfRangeException(nameof(data), $"Column '{name}' not found.");
        return column.Type switch
        {
            TextDataViewType => data.GetColumn<string>(column).Select(s => new[] { s ?? "" }).ToList(),
            VectorDataViewType { ItemType: TextDataViewType } => data.GetColumn<string[]>(column).Select(v => v ?? []).ToList(),
            _ => throw new ArgumentException($"Column '{name}' must be text or a text vector, but is {column.Type}.", nameof(data)),
        };
    }
}
