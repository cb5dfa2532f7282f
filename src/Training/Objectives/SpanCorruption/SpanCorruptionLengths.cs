namespace MLNet.Transformers.Training.Objectives.SpanCorruption;

/// <summary>
/// T5's <c>random_spans_helper</c> (HF <c>compute_input_and_target_lengths</c>): how many raw tokens to pack per example
/// so that, after span corruption, the input (non-noise tokens + one sentinel per span + &lt;/s&gt;) fills exactly
/// <c>inputsLength</c> positions; and the resulting target length (noise tokens + sentinels + &lt;/s&gt;).
/// </summary>
internal static class SpanCorruptionLengths
{
    /// <summary>Returns (raw tokens per example, target length) for an encoder input of <paramref name="inputsLength"/>.</summary>
    public static (int TokensLength, int TargetsLength) Compute(int inputsLength, double noiseDensity, double meanNoiseSpanLength)
    {
        if (inputsLength < 2) throw new ArgumentOutOfRangeException(nameof(inputsLength), "The input must hold at least two ids.");
        int tokensLength = inputsLength;
        while (Lengths(tokensLength + 1, noiseDensity, meanNoiseSpanLength).Inputs <= inputsLength) tokensLength++;
        var (_, targetsLength) = Lengths(tokensLength, noiseDensity, meanNoiseSpanLength);
        // T5's "minor hack": at density 0.5 make the targets as long as the inputs (a round number).
        if (noiseDensity == 0.5 && targetsLength > inputsLength)
        {
            tokensLength--;
            targetsLength--;
        }
        return (tokensLength, targetsLength);
    }

    private static (int Inputs, int Targets) Lengths(int tokensLength, double noiseDensity, double meanNoiseSpanLength)
    {
        int noise = (int)Math.Round(tokensLength * noiseDensity);
        int spans = (int)Math.Round(noise / meanNoiseSpanLength);
        return (tokensLength - noise + spans + 1, noise + spans + 1);
    }
}
