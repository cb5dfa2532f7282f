namespace MLNet.Transformers.Training.Objectives.SpanCorruption;

/// <summary>
/// Turns a run of token ids (one packed document chunk, without &lt;/s&gt;) into an encoder input and a decoder target
/// for one of T5's unsupervised objectives (<see cref="T5Objective"/>), as T5's preprocessors do; &lt;/s&gt; is appended
/// to both. Pure C#: deterministic given the <see cref="Random"/> passed in.
/// </summary>
internal sealed class PretrainingExampleBuilder
{
    private readonly CorruptionVocabulary vocabulary;

    /// <summary>Creates a builder for <paramref name="objective"/>.</summary>
    /// <param name="objective">Which objective.</param>
    /// <param name="vocabulary">Sentinel, &lt;/s&gt; and ordinary ids.</param>
    /// <param name="corruptionRate">Fraction of tokens corrupted (ReplaceSpans, DropTokens, BertStyle); T5: 0.15.</param>
    /// <param name="meanSpanLength">Mean length of a corrupted span (ReplaceSpans, DropTokens); T5: 3.</param>
    /// <param name="randomTokenProbability">BertStyle: share of corrupted tokens replaced by a random id instead of the mask sentinel (T5/BERT: 0.1).</param>
    public PretrainingExampleBuilder(T5Objective objective, CorruptionVocabulary vocabulary, double corruptionRate = 0.15, double meanSpanLength = 3.0,
        double randomTokenProbability = 0.1)
    {
        if (!Enum.IsDefined(objective)) throw new ArgumentOutOfRangeException(nameof(objective), $"Unknown objective {objective}.");
        if (corruptionRate is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(corruptionRate), $"CorruptionRate must be in (0, 1); got {corruptionRate}.");
        if (meanSpanLength < 1) throw new ArgumentOutOfRangeException(nameof(meanSpanLength), $"MeanSpanLength must be at least 1; got {meanSpanLength}.");
        if (randomTokenProbability is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(randomTokenProbability), "Must be in [0, 1].");
        Objective = objective;
        this.vocabulary = vocabulary;
        CorruptionRate = corruptionRate;
        MeanSpanLength = meanSpanLength;
        RandomTokenProbability = randomTokenProbability;
    }

    /// <summary>The objective.</summary>
    public T5Objective Objective { get; }
    /// <summary>Fraction of tokens corrupted.</summary>
    public double CorruptionRate { get; }
    /// <summary>Mean corrupted-span length.</summary>
    public double MeanSpanLength { get; }
    /// <summary>BertStyle's random-replacement share.</summary>
    public double RandomTokenProbability { get; }

    /// <summary>Builds one example from <paramref name="tokens"/> (at least 2 ids), drawing the corruption from <paramref name="random"/>.</summary>
    public TextToTextPair Build(IReadOnlyList<int> tokens, Random random)
    {
        if (tokens.Count < 2) throw new ArgumentException("An example needs at least two tokens to corrupt.", nameof(tokens));
        return Objective switch
        {
            T5Objective.ReplaceSpans or T5Objective.DropTokens => Build(tokens, NoiseMasks.RandomSpans(tokens.Count, CorruptionRate, MeanSpanLength, random), random),
            T5Objective.BertStyle => Build(tokens, NoiseMasks.Iid(tokens.Count, CorruptionRate, random), random),
            T5Objective.PrefixLanguageModel => SplitPrefix(tokens, random.Next(1, tokens.Count)),
            T5Objective.Deshuffle => Deshuffled(tokens, random),
            _ => throw new InvalidOperationException($"Unknown objective {Objective}."),
        };
    }

    /// <summary>
    /// Builds the example of a mask-based objective (ReplaceSpans, DropTokens, BertStyle) for a given noise mask;
    /// <paramref name="random"/> only draws BertStyle's random replacements.
    /// </summary>
    public TextToTextPair Build(IReadOnlyList<int> tokens, bool[] noise, Random random) => Objective switch
    {
        T5Objective.ReplaceSpans => Pair(SentinelSpans.ReplaceNoiseSpans(tokens, noise, vocabulary.SentinelId),
                                         SentinelSpans.ReplaceNonNoiseSpans(tokens, noise, vocabulary.SentinelId)),
        T5Objective.DropTokens => Pair(SentinelSpans.Keep(tokens, noise, keepNoise: false), SentinelSpans.Keep(tokens, noise, keepNoise: true)),
        T5Objective.BertStyle => Pair(MaskOrRandomize(tokens, noise, random), tokens.ToArray()),
        _ => throw new InvalidOperationException($"{Objective} does not use a noise mask."),
    };

    /// <summary>Prefix LM: input = the first <paramref name="prefixLength"/> tokens, target = the rest.</summary>
    public TextToTextPair SplitPrefix(IReadOnlyList<int> tokens, int prefixLength)
    {
        if (prefixLength < 1 || prefixLength >= tokens.Count)
            throw new ArgumentOutOfRangeException(nameof(prefixLength), $"The prefix must leave at least one token on each side of {tokens.Count}.");
        return Pair(tokens.Take(prefixLength).ToArray(), tokens.Skip(prefixLength).ToArray());
    }

    private TextToTextPair Deshuffled(IReadOnlyList<int> tokens, Random random)
    {
        var shuffled = tokens.ToArray();
        random.Shuffle(shuffled);
        return Pair(shuffled, tokens.ToArray());
    }

    // T5's noise_token_to_random_token_or_sentinel: the mask token is the first sentinel.
    private int[] MaskOrRandomize(IReadOnlyList<int> tokens, bool[] noise, Random random)
    {
        if (noise.Length != tokens.Count) throw new ArgumentException($"The noise mask has {noise.Length} entries for {tokens.Count} tokens.", nameof(noise));
        var result = tokens.ToArray();
        for (int i = 0; i < result.Length; i++)
            if (noise[i]) result[i] = random.NextDouble() < RandomTokenProbability ? vocabulary.RandomOrdinaryId(random) : vocabulary.SentinelId(0);
        return result;
    }

    private TextToTextPair Pair(int[] input, int[] target) => new([.. input, vocabulary.EosId], [.. target, vocabulary.EosId]);
}
