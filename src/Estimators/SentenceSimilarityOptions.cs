namespace MLNet.Transformers.Estimators;

/// <summary>
/// Options of <c>mlContext.Regression.Trainers.SentenceSimilarity</c>: fine-tunes a BERT, RoBERTa or DistilBERT checkpoint
/// on a sentence pair and a float label, either as a cross-encoder with a one-output regression head (HF
/// <c>problem_type: "regression"</c>, MSE loss; the default) or as a sentence-transformers bi-encoder (cosine of the two
/// pooled sentence vectors; see <see cref="Architecture"/>).
/// </summary>
public sealed class SentenceSimilarityOptions : SequenceFineTuningOptions
{
    /// <summary>Creates the options; the second text column defaults to "Sentence2" (null scores single sentences).</summary>
    public SentenceSimilarityOptions() => Sentence2ColumnName = "Sentence2";

    /// <summary>
    /// Cross-encoder (default: ML.NET's behaviour, a fresh regression head on the pair) or bi-encoder (sentence-transformers'
    /// cosine similarity of separately encoded sentences; starts from what a sentence-embedding checkpoint such as
    /// all-MiniLM-L6-v2 already scores). The BiEncoder needs <see cref="SequenceFineTuningOptions.Sentence2ColumnName"/>,
    /// ignores <see cref="SequenceFineTuningOptions.Head"/> and <see cref="SequenceFineTuningOptions.ClassifierDropout"/>
    /// (it has no head) and does not offer <c>Precision.Int8</c>.
    /// </summary>
    public SentenceSimilarityArchitecture Architecture { get; set; } = SentenceSimilarityArchitecture.CrossEncoder;

    /// <summary>
    /// BiEncoder only: the label value that means "identical" (the top of the label's range, which is assumed to start at 0).
    /// Training fits cos(A, B) to label / LabelScale (sentence-transformers normalises STS-B's 0-5 labels the same way), and
    /// the Score column is LabelScale × cos(A, B), on the label's scale so <c>Regression.Evaluate</c> is meaningful.
    /// Default 5 (STS-B); use 1 for labels already in [0, 1]. Must be positive and finite.
    /// </summary>
    public float LabelScale { get; set; } = 5f;
}
