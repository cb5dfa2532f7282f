namespace MLNet.Transformers.Estimators;

/// <summary>
/// Options of <c>mlContext.MulticlassClassification.Trainers.TextClassification</c>: fine-tunes a BERT, RoBERTa or DistilBERT
/// checkpoint with a classification head on a text (or text pair) column and a key label. Names and defaults follow ML.NET's
/// own TorchSharp <c>TextClassification</c> trainer.
/// </summary>
public sealed class TextClassificationOptions : SequenceFineTuningOptions
{
    /// <summary>Output column: the predicted key (same key type and KeyValues as the label).</summary>
    public string OutputColumnName { get; set; } = "PredictedLabel";
}
