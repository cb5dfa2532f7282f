namespace MLNet.Transformers.Training.Pretraining;

/// <summary>
/// One unmasked training sequence: <c>[CLS] A [SEP] B [SEP]</c> (next-sentence prediction) or <c>[CLS] text [SEP]</c>.
/// Masking happens later, per batch (<see cref="PretrainingBatch"/>), so every epoch sees fresh masks.
/// </summary>
/// <param name="InputIds">Token ids including [CLS] and [SEP].</param>
/// <param name="TokenTypeIds">0 for [CLS], A and the first [SEP]; 1 for B and the last [SEP]. Same length as <paramref name="InputIds"/>.</param>
/// <param name="NextSentenceLabel">
/// Hugging Face's <c>next_sentence_label</c>: 0 = B is the continuation of A, 1 = B is from another document,
/// <see cref="NoNextSentenceLabel"/> (-100) = not a sentence pair.
/// </param>
internal sealed record PretrainingInstance(int[] InputIds, int[] TokenTypeIds, int NextSentenceLabel)
{
    /// <summary>Label 0: B really follows A.</summary>
    public const int IsNext = 0;

    /// <summary>Label 1: B comes from a different document.</summary>
    public const int NotNext = 1;

    /// <summary>Label of a single-segment instance (ignored by a cross-entropy loss with its default ignore index).</summary>
    public const int NoNextSentenceLabel = -100;

    /// <summary>Number of tokens.</summary>
    public int Length => InputIds.Length;
}
