namespace MLNet.Transformers.Training.Pretraining;

/// <summary>
/// BERT's masked-language-model corruption, as Hugging Face's <c>DataCollatorForLanguageModeling</c> does it:
/// every maskable token is chosen independently with probability <see cref="MaskedLanguageModelMaskerOptions.MaskProbability"/>;
/// a chosen token becomes [MASK] with probability 0.8, a random token with 0.1, and stays as it is otherwise.
/// Labels hold the original id at chosen positions and -100 elsewhere, so the loss averages over chosen positions only.
/// </summary>
/// <remarks>
/// <para>Maskable = attention mask 1 and not [CLS], [SEP] or [PAD] (HF's <c>special_tokens_mask</c> for BERT);
/// [UNK] in the text is maskable, as in HF.</para>
/// <para>Random replacements are uniform over the vocabulary <em>without</em> the five special ids. (HF and Google draw
/// from the whole vocabulary; excluding specials keeps a random replacement from looking like structure, e.g. a fake [SEP].)</para>
/// <para>Deterministic: all randomness comes from the <see cref="Random"/> passed to <see cref="Mask"/>, drawn in a fixed
/// order (row by row: one draw per token or word to choose, then one draw per chosen token for 80/10/10, plus one for
/// the random id). The same seed and input give the same output.</para>
/// </remarks>
internal sealed class MaskedLanguageModelMasker
{
    /// <summary>The label of positions that are not predicted (PyTorch's <c>cross_entropy</c> default <c>ignore_index</c>).</summary>
    public const long IgnoreIndex = -100;

    private readonly SpecialTokenIds _special;
    private readonly MaskedLanguageModelMaskerOptions _options;
    private readonly int[] _sortedSpecialIds;

    /// <summary>Creates a masker for a vocabulary with the given special ids.</summary>
    public MaskedLanguageModelMasker(SpecialTokenIds specialTokenIds, MaskedLanguageModelMaskerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(specialTokenIds);
        specialTokenIds.Validate();
        _special = specialTokenIds;
        _options = options ?? new MaskedLanguageModelMaskerOptions();
        _options.Validate();
        _sortedSpecialIds = new[] { _special.Pad, _special.Unk, _special.Cls, _special.Sep, _special.Mask }.Order().ToArray();
    }

    /// <summary>The options this masker uses.</summary>
    public MaskedLanguageModelMaskerOptions Options => _options;

    /// <summary>Masks a batch of token ids.</summary>
    /// <param name="inputIds">Row-major ids, <paramref name="batchSize"/> x <paramref name="sequenceLength"/>. Not modified.</param>
    /// <param name="batchSize">Number of rows.</param>
    /// <param name="sequenceLength">Number of positions per row.</param>
    /// <param name="attentionMask">Row-major 1 for real tokens and 0 for padding; null = padding is recognised by the [PAD] id only.</param>
    /// <param name="random">The source of randomness (seed it for reproducible masks).</param>
    /// <param name="isWordStart">
    /// Row-major flags, needed only for whole-word masking: true where a token starts a word (false for WordPiece "##" pieces).
    /// A maskable token after a non-maskable one always starts a word.
    /// </param>
    public MaskedTokens Mask(long[] inputIds, int batchSize, int sequenceLength, long[]? attentionMask, Random random, bool[]? isWordStart = null)
    {
        ArgumentNullException.ThrowIfNull(inputIds);
        ArgumentNullException.ThrowIfNull(random);
        if (batchSize < 0 || sequenceLength < 0 || inputIds.Length != (long)batchSize * sequenceLength)
            throw new ArgumentException($"inputIds has {inputIds.Length} elements, expected batchSize x sequenceLength = {batchSize} x {sequenceLength}.", nameof(inputIds));
        if (attentionMask is not null && attentionMask.Length != inputIds.Length)
            throw new ArgumentException($"attentionMask has {attentionMask.Length} elements, expected {inputIds.Length} like inputIds.", nameof(attentionMask));
        if (_options.WholeWordMasking && isWordStart is null)
            throw new ArgumentException("WholeWordMasking is on: pass isWordStart flags (true where a token starts a word).", nameof(isWordStart));
        if (isWordStart is not null && isWordStart.Length != inputIds.Length)
            throw new ArgumentException($"isWordStart has {isWordStart.Length} elements, expected {inputIds.Length} like inputIds.", nameof(isWordStart));

        var maskedIds = (long[])inputIds.Clone();
        var labels = new long[inputIds.Length];
        Array.Fill(labels, IgnoreIndex);
        var chosen = new List<int>();
        var units = new List<(int Start, int End)>();
        for (int row = 0; row < batchSize; row++)
        {
            int offset = row * sequenceLength;
            CollectUnits(inputIds, attentionMask, _options.WholeWordMasking ? isWordStart : null, offset, sequenceLength, units);

            // Choose tokens (or words) independently: this is what makes the chosen fraction exactly MaskProbability in expectation.
            chosen.Clear();
            foreach (var (start, end) in units)
                if (random.NextDouble() < _options.MaskProbability)
                    for (int i = start; i < end; i++) chosen.Add(i);
            if (chosen.Count == 0 && units.Count > 0 && _options.EnsureAtLeastOneMaskedToken)
            {
                var (start, end) = units[random.Next(units.Count)];
                for (int i = start; i < end; i++) chosen.Add(i);
            }

            foreach (int i in chosen)
            {
                labels[i] = inputIds[i];
                double r = random.NextDouble();
                if (r < _options.MaskTokenFraction)
                    maskedIds[i] = _special.Mask;
                else if (r < _options.MaskTokenFraction + _options.RandomTokenFraction)
                    maskedIds[i] = RandomNonSpecialId(random);
                // else: unchanged, but still predicted.
            }
        }
        return new MaskedTokens(maskedIds, labels);
    }

    /// <summary>Masks one sequence (no padding). Convenience over <see cref="Mask"/> with batch size 1.</summary>
    public MaskedTokens MaskSequence(long[] inputIds, Random random, bool[]? isWordStart = null) =>
        Mask(inputIds, 1, inputIds.Length, attentionMask: null, random, isWordStart);

    // Maskable units of one row as [Start, End) index ranges: single tokens, or whole words when flags are given.
    private void CollectUnits(long[] ids, long[]? attentionMask, bool[]? isWordStart, int offset, int length, List<(int, int)> units)
    {
        units.Clear();
        int wordStart = -1;
        for (int i = offset; i < offset + length; i++)
        {
            bool maskable = (attentionMask is null || attentionMask[i] != 0) && !_special.IsNeverMasked(ids[i]);
            bool startsUnit = maskable && (isWordStart is null || isWordStart[i] || wordStart < 0);
            if (wordStart >= 0 && (!maskable || startsUnit))
            {
                units.Add((wordStart, i));
                wordStart = -1;
            }
            if (startsUnit) wordStart = i;
        }
        if (wordStart >= 0) units.Add((wordStart, offset + length));
    }

    // Uniform over [0, VocabularySize) without the special ids: draw among the non-special count, then skip over specials.
    private long RandomNonSpecialId(Random random)
    {
        int id = random.Next(_special.VocabularySize - _sortedSpecialIds.Length);
        foreach (int special in _sortedSpecialIds)
            if (id >= special) id++;
        return id;
    }
}
