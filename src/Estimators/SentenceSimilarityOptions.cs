namespace MLNet.Transformers.Estimators;

/// <summary>
/// Options of <c>mlContext.Regression.Trainers.SentenceSimilarity</c>: fine-tunes a BERT, RoBERTa or DistilBERT checkpoint
/// with a one-output regression head (HF <c>problem_type: "regression"</c>, MSE loss) on a sentence pair and a float label.
/// </summary>
public sealed class SentenceSimilarityOptions : SequenceFineTuningOptions
{
    /// <summary>Creates the options; the second text column defaults to "Sentence2" (null scores single sentences).</summary>
    public SentenceSimilarityOptions() => Sentence2ColumnName = "Sentence2";
}
