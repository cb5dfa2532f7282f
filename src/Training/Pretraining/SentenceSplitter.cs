namespace MLNet.Transformers.Training.Pretraining;

/// <summary>
/// A deliberately simple sentence splitter: a sentence ends at '.', '?' or '!' when that character is followed by
/// whitespace and then an upper-case letter (or ends the paragraph). The end mark stays with its sentence.
/// </summary>
/// <remarks>
/// This fits WikiText's tokenized text (<c>"... Black Sea . It is ..."</c>) and ordinary prose. Known limits, accepted
/// for pretraining data: an abbreviation before a capitalised word ("Mr. Smith", "U.S. Army") splits, and a sentence
/// starting with a digit or quote does not.
/// </remarks>
internal static class SentenceSplitter
{
    /// <summary>Splits a paragraph into trimmed, non-empty sentences.</summary>
    public static IReadOnlyList<string> Split(string paragraph)
    {
        ArgumentNullException.ThrowIfNull(paragraph);
        var sentences = new List<string>();
        int start = 0;
        for (int i = 0; i < paragraph.Length; i++)
        {
            if (paragraph[i] is not ('.' or '?' or '!')) continue;
            int next = i + 1;
            if (next >= paragraph.Length || !char.IsWhiteSpace(paragraph[next])) continue;
            while (next < paragraph.Length && char.IsWhiteSpace(paragraph[next])) next++;
            if (next < paragraph.Length && !char.IsUpper(paragraph[next])) continue;
            Add(paragraph.AsSpan(start, i + 1 - start), sentences);
            start = next;
            i = next - 1;
        }
        if (start < paragraph.Length) Add(paragraph.AsSpan(start), sentences);
        return sentences;
    }

    private static void Add(ReadOnlySpan<char> sentence, List<string> sentences)
    {
        var trimmed = sentence.Trim();
        if (!trimmed.IsEmpty) sentences.Add(trimmed.ToString());
    }
}
