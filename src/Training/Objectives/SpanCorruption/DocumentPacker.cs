namespace MLNet.Transformers.Training.Objectives.SpanCorruption;

/// <summary>
/// T5's packing for unsupervised objectives (<c>reduce_concat_tokens</c> + <c>split_tokens</c>): the documents' ids (without
/// &lt;/s&gt;) are concatenated and cut into chunks of a fixed number of raw tokens, so no compute is spent on padding.
/// </summary>
internal static class DocumentPacker
{
    /// <summary>Raw tokens per chunk so that the encoder input of <paramref name="objective"/> has at most <paramref name="inputLength"/> ids (&lt;/s&gt; included).</summary>
    public static int ChunkLength(T5Objective objective, int inputLength, double corruptionRate, double meanSpanLength)
    {
        if (inputLength < 3) throw new ArgumentOutOfRangeException(nameof(inputLength), inputLength, "InputLength must be at least 3.");
        return objective == T5Objective.ReplaceSpans
            ? SpanCorruptionLengths.Compute(inputLength, corruptionRate, meanSpanLength).TokensLength
            : inputLength - 1;
    }

    /// <summary>Concatenates <paramref name="documents"/> and cuts them into chunks of <paramref name="chunkLength"/> ids; a shorter last chunk is kept if it has at least 2 ids.</summary>
    public static List<int[]> Pack(IEnumerable<IReadOnlyList<int>> documents, int chunkLength)
    {
        if (chunkLength < 2) throw new ArgumentOutOfRangeException(nameof(chunkLength), chunkLength, "A chunk needs at least 2 tokens.");
        var chunks = new List<int[]>();
        var current = new List<int>(chunkLength);
        foreach (var document in documents)
            foreach (var id in document)
            {
                current.Add(id);
                if (current.Count == chunkLength) { chunks.Add(current.ToArray()); current.Clear(); }
            }
        if (current.Count >= 2) chunks.Add(current.ToArray());
        return chunks;
    }
}
