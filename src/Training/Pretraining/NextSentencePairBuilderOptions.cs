namespace MLNet.Transformers.Training.Pretraining;

/// <summary>Options of <see cref="NextSentencePairBuilder"/>. Defaults follow Google's <c>create_pretraining_data.py</c>.</summary>
internal sealed class NextSentencePairBuilderOptions
{
    /// <summary>Maximum tokens per instance, [CLS] and [SEP]s included. Default 128.</summary>
    public int MaxSequenceLength { get; set; } = 128;

    /// <summary>
    /// Probability of aiming at a shorter random length in [2, max] for an instance, so the model also sees short inputs
    /// (Google's <c>short_seq_prob</c>). Default 0.1.
    /// </summary>
    public double ShortSequenceProbability { get; set; } = 0.1;

    /// <summary>Probability that B is taken from another document (label 1). Default 0.5.</summary>
    public double RandomNextProbability { get; set; } = 0.5;

    /// <summary>Throws when a value is out of range.</summary>
    public void Validate()
    {
        if (MaxSequenceLength < 5)
            throw new ArgumentException($"{nameof(MaxSequenceLength)} must be at least 5 ([CLS] A [SEP] B [SEP]), got {MaxSequenceLength}.");
        if (ShortSequenceProbability is < 0 or > 1)
            throw new ArgumentException($"{nameof(ShortSequenceProbability)} must be in [0, 1], got {ShortSequenceProbability}.");
        if (RandomNextProbability is < 0 or > 1)
            throw new ArgumentException($"{nameof(RandomNextProbability)} must be in [0, 1], got {RandomNextProbability}.");
    }
}
