namespace MLNet.Transformers.Transforms;

/// <summary>
/// Cuts a long context into overlapping windows the way HF's question-answering pipeline does (a fast tokenizer with
/// <c>truncation="only_second"</c>, <c>stride=doc_stride</c>, <c>return_overflowing_tokens=True</c>): each window holds
/// <c>maxSequenceLength − question tokens − 3</c> context tokens; the first starts at token 0 and each next one
/// <c>window − stride</c> tokens later, until a window reaches the last token.
/// </summary>
public static class QaWindowing
{
    /// <summary>Context tokens per window, and the overlap actually used.</summary>
    /// <param name="Window">Context tokens per window.</param>
    /// <param name="Stride">Tokens shared by consecutive windows.</param>
    /// <param name="StrideReduced">True when the question left a window not larger than the requested stride, so window − 1 is used.</param>
    public readonly record struct Geometry(int Window, int Stride, bool StrideReduced);

    /// <summary>The window size and overlap for a question of <paramref name="questionLength"/> tokens.</summary>
    public static Geometry Measure(int maxSequenceLength, int questionLength, int documentStride)
    {
        int window = maxSequenceLength - questionLength - 3;
        if (window < 1)
            throw new ArgumentException($"A question of {questionLength} tokens leaves no room for context in {maxSequenceLength} tokens; lower MaxQuestionLength or raise MaxSequenceLength.");
        // HF tokenizers refuse a stride >= the window; the rule is to overlap by window − 1 instead.
        return documentStride >= window ? new Geometry(window, window - 1, true) : new Geometry(window, documentStride, false);
    }

    /// <summary>First context token of each window over <paramref name="contextLength"/> tokens (one window for a short or empty context).</summary>
    public static IEnumerable<int> WindowStarts(int contextLength, Geometry geometry)
    {
        int step = geometry.Window - geometry.Stride;
        for (int start = 0; ; start += step)
        {
            yield return start;
            if (start + geometry.Window >= contextLength) yield break;
        }
    }

    /// <summary>All windows of (<paramref name="question"/>, <paramref name="context"/>) ids.</summary>
    public static List<QaWindow> Build(IReadOnlyList<int> question, IReadOnlyList<int> context, Geometry geometry, int clsId, int sepId)
    {
        var windows = new List<QaWindow>();
        foreach (int offset in WindowStarts(context.Count, geometry))
        {
            int length = Math.Min(geometry.Window, context.Count - offset);
            int total = question.Count + length + 3;
            var ids = new int[total];
            var types = new int[total];
            ids[0] = clsId;
            for (int i = 0; i < question.Count; i++) ids[1 + i] = question[i];
            ids[question.Count + 1] = sepId;
            int contextStart = question.Count + 2;
            for (int i = 0; i < length; i++) ids[contextStart + i] = context[offset + i];
            ids[total - 1] = sepId;
            for (int i = contextStart; i < total; i++) types[i] = 1;
            windows.Add(new QaWindow(ids, types, contextStart, offset, length));
        }
        return windows;
    }
}
