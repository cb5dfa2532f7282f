namespace MLNet.Transformers.Training.Pretraining;

/// <summary>Options of <see cref="MaskedLanguageModelMasker"/>. Defaults are BERT's (Devlin et al. 2018, section 3.1).</summary>
internal sealed class MaskedLanguageModelMaskerOptions
{
    /// <summary>Probability that a maskable token (or, with whole-word masking, a word) is chosen for prediction. Default 0.15.</summary>
    public double MaskProbability { get; set; } = 0.15;

    /// <summary>Fraction of chosen tokens replaced by [MASK]. Default 0.8.</summary>
    public double MaskTokenFraction { get; set; } = 0.8;

    /// <summary>Fraction of chosen tokens replaced by a random non-special token. Default 0.1. The rest stay unchanged.</summary>
    public double RandomTokenFraction { get; set; } = 0.1;

    /// <summary>
    /// Choose whole words instead of single tokens: when a word is chosen, all its pieces are predicted
    /// (each piece then gets its own 80/10/10 draw, as in Google's and Hugging Face's whole-word masking). Default false.
    /// </summary>
    public bool WholeWordMasking { get; set; }

    /// <summary>
    /// When a sequence has maskable tokens but none was chosen, choose one of them uniformly. Hugging Face does not do
    /// this, so it is off by default (it raises the chosen fraction above <see cref="MaskProbability"/> on short sequences).
    /// </summary>
    public bool EnsureAtLeastOneMaskedToken { get; set; }

    /// <summary>Throws when a probability is outside [0, 1] or the two fractions add up to more than 1.</summary>
    public void Validate()
    {
        if (MaskProbability is < 0 or > 1)
            throw new ArgumentException($"{nameof(MaskProbability)} must be in [0, 1], got {MaskProbability}.");
        if (MaskTokenFraction is < 0 or > 1)
            throw new ArgumentException($"{nameof(MaskTokenFraction)} must be in [0, 1], got {MaskTokenFraction}.");
        if (RandomTokenFraction is < 0 or > 1)
            throw new ArgumentException($"{nameof(RandomTokenFraction)} must be in [0, 1], got {RandomTokenFraction}.");
        if (MaskTokenFraction + RandomTokenFraction > 1 + 1e-12)
            throw new ArgumentException(
                $"{nameof(MaskTokenFraction)} + {nameof(RandomTokenFraction)} must be at most 1, got {MaskTokenFraction} + {RandomTokenFraction}.");
    }
}
