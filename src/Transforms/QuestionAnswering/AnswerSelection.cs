namespace MLNet.Transformers.Transforms;

/// <summary>One answer: the exact substring of the context, its score, and its character index (−1 for the empty answer).</summary>
public sealed record QuestionAnswer(string Text, float Score, int Start);

/// <summary>
/// Merges the spans of all windows of one (question, context) into the top-k answers as HF's pipeline postprocess
/// does with <c>align_to_words=True</c>: each span becomes the context text from the start of the word holding its first
/// token to the end of the word holding its last token (words as seen inside that window); answers are ordered by
/// score (a stable sort, so earlier windows win ties); each distinct text keeps its best score; with
/// <c>allowNoAnswer</c> the empty answer, scored with the smallest null score over the windows, joins the ranking.
/// </summary>
internal static class AnswerSelection
{
    /// <summary>The top-<paramref name="topK"/> answers of one context from the scored spans of its windows.</summary>
    public static QuestionAnswer[] Select(string context, TokenizedText tokens, IReadOnlyList<(QaWindow Window, WindowSpans Spans)> windows,
        int topK, bool allowNoAnswer)
    {
        var answers = new List<(string Text, double Score, int Start)>();
        var byText = new Dictionary<string, int>(StringComparer.Ordinal);
        double minNull = double.MaxValue;
        foreach (var (window, spans) in windows)
        {
            minNull = Math.Min(minNull, spans.NullScore);
            foreach (var span in spans.Spans)
            {
                var (start, end) = AlignToWords(tokens, window, window.ContextTokenAt(span.Start), window.ContextTokenAt(span.End));
                string text = context[start..end];
                if (!byText.TryGetValue(text, out int index)) { byText[text] = answers.Count; answers.Add((text, span.Score, start)); }
                else if (span.Score > answers[index].Score) answers[index] = (text, span.Score, start);
            }
        }
        if (allowNoAnswer && windows.Count > 0) answers.Add(("", minNull, -1));
        return answers.OrderByDescending(a => a.Score).Take(topK)   // OrderBy is stable: ties keep window order
            .Select(a => new QuestionAnswer(a.Text, (float)a.Score, a.Start)).ToArray();
    }

    /// <summary>
    /// Character span from the start of the word of context token <paramref name="first"/> to the end of the word of
    /// token <paramref name="last"/>, counting only the tokens inside <paramref name="window"/> (HF's <c>word_to_chars</c>
    /// on the window's encoding).
    /// </summary>
    public static (int Start, int End) AlignToWords(TokenizedText tokens, QaWindow window, int first, int last)
    {
        int lo = window.ContextOffset, hi = window.ContextOffset + window.ContextLength - 1;
        while (first > lo && tokens.WordIds[first - 1] == tokens.WordIds[first]) first--;
        while (last < hi && tokens.WordIds[last + 1] == tokens.WordIds[last]) last++;
        return (tokens.Offsets[first].Start, tokens.Offsets[last].End);
    }
}
