namespace MLNet.Transformers.Training.Pretraining;

/// <summary>
/// Builds single-segment instances <c>[CLS] text [SEP]</c> for masked-LM pretraining without next-sentence prediction:
/// consecutive sentences of a document are packed into sequences of up to <c>maxSequenceLength</c> tokens, so no text
/// is wasted (RoBERTa's "doc-sentences" packing).
/// </summary>
/// <remarks>
/// A sequence never spans two documents. Whole sentences are packed while they fit; a sentence that does not fit starts
/// the next sequence, and a sentence longer than a whole sequence is split across sequences. Every token of every
/// sentence ends up in exactly one instance, in order. Deterministic (no randomness).
/// </remarks>
internal static class SequencePacker
{
    /// <summary>Packs the documents' sentences into instances with token type 0 and no next-sentence label.</summary>
    /// <param name="documents">Each document is its ordered sentences, each sentence its token ids (no special tokens).</param>
    /// <param name="specialTokenIds">Provides the [CLS] and [SEP] ids.</param>
    /// <param name="maxSequenceLength">Maximum tokens per instance, [CLS] and [SEP] included (at least 3).</param>
    public static IReadOnlyList<PretrainingInstance> Pack(
        IReadOnlyList<IReadOnlyList<int[]>> documents, SpecialTokenIds specialTokenIds, int maxSequenceLength)
    {
        ArgumentNullException.ThrowIfNull(documents);
        ArgumentNullException.ThrowIfNull(specialTokenIds);
        if (maxSequenceLength < 3)
            throw new ArgumentException($"maxSequenceLength must be at least 3 ([CLS] token [SEP]), got {maxSequenceLength}.", nameof(maxSequenceLength));

        int capacity = maxSequenceLength - 2;
        var instances = new List<PretrainingInstance>();
        var current = new List<int>(capacity);
        foreach (var document in documents)
        {
            foreach (int[] sentence in document)
            {
                if (current.Count > 0 && current.Count + sentence.Length > capacity)
                    Flush(current, specialTokenIds, instances);
                for (int start = 0; start < sentence.Length; start += capacity)
                {
                    int take = Math.Min(capacity, sentence.Length - start);
                    if (current.Count + take > capacity) Flush(current, specialTokenIds, instances);
                    current.AddRange(sentence.AsSpan(start, take));
                }
            }
            if (current.Count > 0) Flush(current, specialTokenIds, instances);
        }
        return instances;
    }

    private static void Flush(List<int> tokens, SpecialTokenIds special, List<PretrainingInstance> instances)
    {
        var ids = new int[tokens.Count + 2];
        ids[0] = special.Cls;
        tokens.CopyTo(ids, 1);
        ids[^1] = special.Sep;
        instances.Add(new PretrainingInstance(ids, new int[ids.Length], PretrainingInstance.NoNextSentenceLabel));
        tokens.Clear();
    }
}
