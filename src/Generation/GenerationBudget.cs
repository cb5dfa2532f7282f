namespace MLNet.Transformers.Generation;

/// <summary>
/// What one generation call may cost, decided before anything is allocated: how many new tokens it runs (the options'
/// <see cref="TextGenerationOptions.MaxNewTokens"/>, capped at <see cref="TextGenerationOptions.MaxNewTokensLimit"/> and at the
/// decoder's position limit) and whether the cache, the logits and the widest step's attention scores of
/// <c>prompts × NumBeams</c> rows fit in this machine's memory. Why: NumBeams = 5000 was killed for memory after 14 s, and
/// MaxNewTokens = int.MaxValue ran a T5 until killed; the first step attends the whole prompt to itself (heads × prompt
/// length² scores per row), which outgrows cache and logits for long prompts.
/// </summary>
internal static class GenerationBudget
{
    // Per row and step: the (R, V) float32 logits, log-softmax / penalised / warped copies of them.
    private const int LogitsCopies = 4;
    // The cache grows by concatenation and beam search reorders it (index_select): old and new coexist for a moment.
    private const int CacheCopies = 2;

    /// <summary>New tokens a call generates at most: MaxNewTokens, ≤ MaxNewTokensLimit, ≤ the decoder's room after the prompt.</summary>
    public static int NewTokens(ICausalDecoder decoder, int promptLength, TextGenerationOptions options)
    {
        int limit = Math.Min(options.MaxNewTokens, TextGenerationOptions.MaxNewTokensLimit);
        // A prompt that already fills the positions is left to the decoder, whose error names n_positions.
        return decoder.MaxSequenceLength is int max && max > promptLength ? Math.Min(limit, max - promptLength) : limit;
    }

    /// <summary>Throws an <see cref="ArgumentOutOfRangeException"/> naming NumBeams (or BatchSize) when the estimate exceeds this machine's memory.</summary>
    public static void RequireFits(ICausalDecoder decoder, int prompts, int promptLength, int newTokens, TextGenerationOptions options)
    {
        long rows = (long)prompts * options.NumBeams;
        // With the cache the widest step is the first (the prompt attends itself); without it, the last runs the whole sequence.
        int widest = options.UseCache ? promptLength : promptLength + newTokens;
        double perRow = CacheCopies * (double)decoder.CacheBytesPerRow(promptLength + newTokens) + LogitsCopies * (double)decoder.VocabularySize * sizeof(float)
            + decoder.AttentionBytesPerRow(widest, widest);
        double bytes = rows * perRow;
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (available <= 0 || bytes <= available) return;
        string option = options.NumBeams > 1 ? nameof(options.NumBeams) : nameof(options.BatchSize);
        object value = options.NumBeams > 1 ? options.NumBeams : options.BatchSize;
        throw new ArgumentOutOfRangeException(option, value,
            $"{option} {value} is too large for this machine: {prompts} prompt(s) × NumBeams {options.NumBeams} = {rows:N0} rows of " +
            $"{promptLength} + {newTokens} positions need about {bytes / (1 << 20):N0} MiB for the decoder cache, the logits " +
            $"({decoder.VocabularySize:N0} per row) and the attention scores of a {widest}-position step, more than this machine's " +
            $"{available / (1 << 20):N0} MiB. Lower NumBeams, BatchSize, MaxNewTokens or the prompt length.");
    }
}
