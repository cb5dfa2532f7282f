namespace MLNet.Transformers.Transforms;

/// <summary>A span of one window: first and last token as positions in the window's sequence, and p_start·p_end.</summary>
internal readonly record struct SpanCandidate(int Start, int End, double Score);

/// <summary>What one window contributes: its null score p_start([CLS])·p_end([CLS]) and its best spans, best first.</summary>
internal sealed record WindowSpans(double NullScore, IReadOnlyList<SpanCandidate> Spans);

/// <summary>
/// Scores the spans of one window exactly as HF's question-answering pipeline (<c>select_starts_ends</c> and
/// <c>decode_spans</c>): logits of tokens outside the context except [CLS] become −10000; a softmax over the whole window
/// gives p_start and p_end; the null score is taken at [CLS], which is then excluded; a span (i, j) scores
/// p_start(i)·p_end(j) with j ≥ i and j − i + 1 ≤ maxAnswerLength, both ends in the context. Ties go to the smaller
/// (i, j) in row-major order, as <c>np.argmax</c> does.
/// </summary>
internal static class SpanScoring
{
    /// <summary>HF's value for logits that must not take part (question, [SEP], padding).</summary>
    public const float Masked = -10000f;

    /// <param name="startLogits">Start logits of the window's positions (padding may follow; it is masked).</param>
    /// <param name="endLogits">End logits, same length.</param>
    /// <param name="window">Where the context lies in the sequence.</param>
    /// <param name="maxAnswerLength">Longest span in tokens.</param>
    /// <param name="candidates">How many of the best spans to keep (HF: top_k, or top_k · 2 + 10 when aligning to words).</param>
    public static WindowSpans Score(ReadOnlySpan<float> startLogits, ReadOnlySpan<float> endLogits, QaWindow window, int maxAnswerLength, int candidates)
    {
        var pStart = Softmax(startLogits, window);
        var pEnd = Softmax(endLogits, window);
        double nullScore = pStart[0] * pEnd[0];

        // Keep the `candidates` best spans; a small sorted list beats sorting every span of a 384-token window.
        var best = new List<SpanCandidate>(candidates + 1);
        int first = window.ContextStart, last = window.ContextStart + window.ContextLength - 1;
        for (int i = first; i <= last; i++)
        {
            int lastEnd = Math.Min(last, i + maxAnswerLength - 1);
            for (int j = i; j <= lastEnd; j++)
            {
                double score = pStart[i] * pEnd[j];
                if (best.Count == candidates && score <= best[^1].Score) continue;   // ties keep the earlier span
                int at = best.Count;
                while (at > 0 && best[at - 1].Score < score) at--;
                best.Insert(at, new SpanCandidate(i, j, score));
                if (best.Count > candidates) best.RemoveAt(best.Count - 1);
            }
        }
        return new WindowSpans(nullScore, best);
    }

    // softmax over the window with non-context logits (except [CLS] at 0) replaced by −10000, in float64.
    private static double[] Softmax(ReadOnlySpan<float> logits, QaWindow window)
    {
        var masked = new double[logits.Length];
        double max = double.NegativeInfinity;
        for (int t = 0; t < logits.Length; t++)
        {
            masked[t] = t == 0 || window.IsContext(t) ? logits[t] : Masked;
            max = Math.Max(max, masked[t]);
        }
        double sum = 0;
        for (int t = 0; t < masked.Length; t++) sum += masked[t] = Math.Exp(masked[t] - max);
        for (int t = 0; t < masked.Length; t++) masked[t] /= sum;
        return masked;
    }
}
