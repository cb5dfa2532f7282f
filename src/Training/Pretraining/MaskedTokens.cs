namespace MLNet.Transformers.Training.Pretraining;

/// <summary>
/// Output of <see cref="MaskedLanguageModelMasker"/>: row-major arrays with the shape of the input batch.
/// </summary>
/// <param name="InputIds">The input ids after masking (80% [MASK], 10% random, 10% unchanged at the chosen positions).</param>
/// <param name="Labels">The original id at chosen positions and <see cref="MaskedLanguageModelMasker.IgnoreIndex"/> (-100) elsewhere.</param>
internal sealed record MaskedTokens(long[] InputIds, long[] Labels);
