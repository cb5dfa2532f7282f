namespace MLNet.Transformers.Training.Objectives.SpanCorruption;

/// <summary>
/// T5's ways of turning tokens + a noise mask into inputs and targets (<c>preprocessors.noise_span_to_unique_sentinel</c>,
/// <c>nonnoise_span_to_unique_sentinel</c>, <c>drop_noise_tokens</c>, <c>drop_nonnoise_tokens</c>). Sentinel k is the
/// k-th replaced span in order: &lt;extra_id_0&gt;, &lt;extra_id_1&gt;, …
/// </summary>
internal static class SentinelSpans
{
    /// <summary>Each noise span → one sentinel, in order; other tokens kept ("Thank you &lt;X&gt; me to your party &lt;Y&gt; week .").</summary>
    public static int[] ReplaceNoiseSpans(IReadOnlyList<int> tokens, bool[] noise, Func<int, int> sentinelId) =>
        ReplaceSpans(tokens, noise, replace: true, sentinelId);

    /// <summary>Each non-noise span → one sentinel, noise tokens kept — the target of span corruption ("&lt;X&gt; for inviting &lt;Y&gt; last &lt;Z&gt;").</summary>
    public static int[] ReplaceNonNoiseSpans(IReadOnlyList<int> tokens, bool[] noise, Func<int, int> sentinelId) =>
        ReplaceSpans(tokens, noise, replace: false, sentinelId);

    /// <summary>Only the tokens whose mask equals <paramref name="keepNoise"/> (drop-tokens input: false; its target: true).</summary>
    public static int[] Keep(IReadOnlyList<int> tokens, bool[] noise, bool keepNoise)
    {
        RequireSameLength(tokens, noise);
        return tokens.Where((_, i) => noise[i] == keepNoise).ToArray();
    }

    /// <summary>
    /// Undoes span corruption: each sentinel of <paramref name="input"/> is replaced by what follows the same sentinel in
    /// <paramref name="target"/> up to the next sentinel (or the end). Used to fill sentinels with generated spans.
    /// </summary>
    public static int[] Fill(IReadOnlyList<int> input, IReadOnlyList<int> target, Func<int, int> sentinelIndex)
    {
        var spans = new Dictionary<int, List<int>>();
        List<int>? current = null;
        foreach (var id in target)
        {
            int k = sentinelIndex(id);
            if (k >= 0) spans[k] = current = new List<int>();
            else current?.Add(id);
        }
        var result = new List<int>(input.Count + target.Count);
        foreach (var id in input)
        {
            int k = sentinelIndex(id);
            if (k < 0) result.Add(id);
            else if (spans.TryGetValue(k, out var span)) result.AddRange(span);
        }
        return result.ToArray();
    }

    private static int[] ReplaceSpans(IReadOnlyList<int> tokens, bool[] noise, bool replace, Func<int, int> sentinelId)
    {
        RequireSameLength(tokens, noise);
        var result = new List<int>(tokens.Count);
        int spans = 0;
        for (int i = 0; i < tokens.Count; i++)
        {
            if (noise[i] != replace) result.Add(tokens[i]);
            else if (i == 0 || noise[i - 1] != replace) result.Add(sentinelId(spans++)); // first token of a span
        }
        return result.ToArray();
    }

    private static void RequireSameLength(IReadOnlyList<int> tokens, bool[] noise)
    {
        if (tokens.Count != noise.Length)
            throw new ArgumentException($"The noise mask has {noise.Length} entries for {tokens.Count} tokens.", nameof(noise));
    }

    /// <summary>
    /// The inverse of span corruption at inference: <paramref name="input"/> (without &lt;/s&gt;) with each sentinel k replaced by
    /// the ids that follow sentinel k in <paramref name="generated"/> (up to the next sentinel or <paramref name="eosId"/>).
    /// A sentinel the model generated no span for is dropped.
    /// </summary>
    public static int[] Fill(IReadOnlyList<int> input, IReadOnlyList<int> generated, Func<int, int> sentinelIndex, int eosId)
    {
        var spans = new Dictionary<int, List<int>>();
        List<int>? current = null;
        foreach (var id in generated)
        {
            if (id == eosId) break;
            int k = sentinelIndex(id);
            if (k >= 0) spans[k] = current = [];
            else current?.Add(id);
        }
        var filled = new List<int>();
        foreach (var id in input.Where(id => id != eosId))
        {
            int k = sentinelIndex(id);
            if (k < 0) filled.Add(id);
            else if (spans.TryGetValue(k, out var span)) filled.AddRange(span);
        }
        return filled.ToArray();
    }
}
