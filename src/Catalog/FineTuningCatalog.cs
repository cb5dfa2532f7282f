using Microsoft.ML;
using MLNet.Transformers.Estimators;
using MLNet.Transformers.Persistence;

namespace MLNet.Transformers;

/// <summary>
/// Fine-tuning trainers on ML.NET's standard catalogs, with the parameter names, defaults and output columns of ML.NET's
/// own TorchSharp trainers; the first argument is the checkpoint folder to start from (any BERT-family Hugging Face
/// checkpoint, or one saved by this library).
/// </summary>
public static class FineTuningCatalog
{
    /// <summary>
    /// Fine-tunes a checkpoint with a classification head on text (or a text pair, encoded <c>[CLS] A [SEP] B [SEP]</c>).
    /// Input columns: <paramref name="sentence1ColumnName"/> and optional <paramref name="sentence2ColumnName"/> (<see cref="string"/>),
    /// <paramref name="labelColumnName"/> (key, e.g. after <c>MapValueToKey</c>; optional with <paramref name="maxEpochs"/> 0).
    /// Output columns, in this order: <paramref name="outputColumnName"/> (key with the label's KeyValues) and
    /// <paramref name="scoreColumnName"/> (float vector of class probabilities, slot names = class values).
    /// </summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="checkpointDirectory">The model to start from: config.json, model.safetensors, vocab.txt; or a Hugging Face Hub id, "org/name" or "org/name@revision" (downloaded into the Hub cache), or an encoder .onnx file.</param>
    /// <param name="labelColumnName">Label column (key).</param>
    /// <param name="scoreColumnName">Output: class probabilities.</param>
    /// <param name="outputColumnName">Output: predicted key.</param>
    /// <param name="sentence1ColumnName">Text column.</param>
    /// <param name="sentence2ColumnName">Second text column of a pair, or null.</param>
    /// <param name="batchSize">Rows per step.</param>
    /// <param name="maxEpochs">Passes over the data; 0 = score with the checkpoint's own head.</param>
    /// <param name="validationSet">Validation data, or null.</param>
    public static SequenceClassificationEstimator TextClassification(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string checkpointDirectory, string labelColumnName = "Label", string scoreColumnName = "Score", string outputColumnName = "PredictedLabel",
        string sentence1ColumnName = "Sentence1", string? sentence2ColumnName = null, int batchSize = 32, int maxEpochs = 10, IDataView? validationSet = null) =>
        catalog.TextClassification(new TextClassificationOptions
        {
            CheckpointDirectory = checkpointDirectory, LabelColumnName = labelColumnName, ScoreColumnName = scoreColumnName,
            OutputColumnName = outputColumnName, Sentence1ColumnName = sentence1ColumnName, Sentence2ColumnName = sentence2ColumnName,
            BatchSize = batchSize, MaxEpochs = maxEpochs, ValidationSet = validationSet,
        });

    /// <summary>As the other overload, with every option (head, lengths, freezing, dropout, device, training loop).</summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="options">The options.</param>
    public static SequenceClassificationEstimator TextClassification(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        TextClassificationOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        return new SequenceClassificationEstimator(MLNetInternals.GetEnvironment(catalog), options);
    }

    /// <summary>
    /// Fine-tunes a checkpoint with a one-output regression head (HF <c>problem_type: "regression"</c>, MSE loss) on a
    /// sentence pair. Input columns: <paramref name="sentence1ColumnName"/>, <paramref name="sentence2ColumnName"/>
    /// (<see cref="string"/>), <paramref name="labelColumnName"/> (<see cref="float"/>). Output column:
    /// <paramref name="scoreColumnName"/> (<see cref="float"/>).
    /// </summary>
    /// <param name="catalog">The regression trainers catalog.</param>
    /// <param name="checkpointDirectory">The model to start from; or a Hugging Face Hub id, "org/name" or "org/name@revision" (downloaded into the Hub cache), or an encoder .onnx file.</param>
    /// <param name="labelColumnName">Label column (float similarity).</param>
    /// <param name="scoreColumnName">Output: predicted similarity.</param>
    /// <param name="sentence1ColumnName">First text column.</param>
    /// <param name="sentence2ColumnName">Second text column.</param>
    /// <param name="batchSize">Rows per step.</param>
    /// <param name="maxEpochs">Passes over the data; 0 = score with the checkpoint's own head.</param>
    /// <param name="validationSet">Validation data, or null.</param>
    public static SequenceClassificationEstimator SentenceSimilarity(this RegressionCatalog.RegressionTrainers catalog,
        string checkpointDirectory, string labelColumnName = "Label", string scoreColumnName = "Score", string sentence1ColumnName = "Sentence1",
        string sentence2ColumnName = "Sentence2", int batchSize = 32, int maxEpochs = 10, IDataView? validationSet = null) =>
        catalog.SentenceSimilarity(new SentenceSimilarityOptions
        {
            CheckpointDirectory = checkpointDirectory, LabelColumnName = labelColumnName, ScoreColumnName = scoreColumnName,
            Sentence1ColumnName = sentence1ColumnName, Sentence2ColumnName = sentence2ColumnName,
            BatchSize = batchSize, MaxEpochs = maxEpochs, ValidationSet = validationSet,
        });

    /// <summary>As the other overload, with every option.</summary>
    /// <param name="catalog">The regression trainers catalog.</param>
    /// <param name="options">The options.</param>
    public static SequenceClassificationEstimator SentenceSimilarity(this RegressionCatalog.RegressionTrainers catalog, SentenceSimilarityOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        return new SequenceClassificationEstimator(MLNetInternals.GetEnvironment(catalog), options);
    }

    /// <summary>
    /// Fine-tunes a checkpoint with a per-token head (HF <c>BertForTokenClassification</c>) for named-entity recognition or
    /// tagging. The sentence is split on ' ' into words; each word is predicted from its first WordPiece. Input columns:
    /// <paramref name="sentence1ColumnName"/> (<see cref="string"/>), <paramref name="labelColumnName"/> (vector of keys, one
    /// per word, e.g. <c>MapValueToKey("Label", keyData: labels)</c>; key 0 = missing, ignored; optional with
    /// <paramref name="maxEpochs"/> 0). Output column: <paramref name="outputColumnName"/> (variable-length vector of keys,
    /// one per word, with the label's KeyValues). Sentences longer than the window are tagged window by window (every word
    /// gets a key).
    /// </summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="checkpointDirectory">The model to start from; or a Hugging Face Hub id, "org/name" or "org/name@revision" (downloaded into the Hub cache), or an encoder .onnx file.</param>
    /// <param name="labelColumnName">Label column (vector of keys).</param>
    /// <param name="outputColumnName">Output: predicted keys.</param>
    /// <param name="sentence1ColumnName">Text column.</param>
    /// <param name="batchSize">Rows per step.</param>
    /// <param name="maxEpochs">Passes over the data; 0 = tag with the checkpoint's own head.</param>
    /// <param name="validationSet">Validation data, or null.</param>
    public static TokenClassificationEstimator NamedEntityRecognition(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string checkpointDirectory, string labelColumnName = "Label", string outputColumnName = "PredictedLabel", string sentence1ColumnName = "Sentence",
        int batchSize = 32, int maxEpochs = 10, IDataView? validationSet = null) =>
        catalog.NamedEntityRecognition(new NamedEntityRecognitionOptions
        {
            CheckpointDirectory = checkpointDirectory, LabelColumnName = labelColumnName, OutputColumnName = outputColumnName,
            Sentence1ColumnName = sentence1ColumnName, BatchSize = batchSize, MaxEpochs = maxEpochs, ValidationSet = validationSet,
        });

    /// <summary>As the other overload, with every option.</summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="options">The options.</param>
    public static TokenClassificationEstimator NamedEntityRecognition(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        NamedEntityRecognitionOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        return new TokenClassificationEstimator(MLNetInternals.GetEnvironment(catalog), options);
    }
}
