namespace MLNet.Transformers.Estimators;

/// <summary>How <c>SentenceSimilarity</c> scores a sentence pair.</summary>
public enum SentenceSimilarityArchitecture
{
    /// <summary>
    /// ML.NET's and Hugging Face's sequence regression: the pair is encoded together (<c>[CLS] A [SEP] B [SEP]</c>) and a
    /// one-output head (fresh unless the checkpoint has one) gives the score, trained with MSE on the raw label.
    /// </summary>
    CrossEncoder,

    /// <summary>
    /// sentence-transformers' bi-encoder with <c>CosineSimilarityLoss</c>: each sentence is encoded on its own and pooled as
    /// the checkpoint says (a sentence-transformers folder's <c>1_Pooling</c>, mean pooling for any other checkpoint),
    /// Score = <see cref="SentenceSimilarityOptions.LabelScale"/> × cos(pooled A, pooled B), and training minimises
    /// MSE(cos, label / LabelScale). No parameter is new, so what the checkpoint knows about sentence vectors is kept.
    /// </summary>
    BiEncoder,
}
