using MLNet.Transformers.Tokenization;

namespace MLNet.Transformers.Transforms;

/// <summary>
/// Cuts a long context into overlapping windows the way HF's question-answering pipeline does (a fast tokenizer with
/// <c>truncation="only_second"</c>, <c>stride=doc_stride</c>, <c>return_overflowing_tokens=True</c>): each window holds
/// <c>maxSequenceLength − question tokens − special tokens</c> (3 for BERT, 4 for RoBERTa) context tokens; the first starts at token 0 and each next one
/// <c>window − stride</c> tokens later, until a window reaches the last token.
/// </summary>
internal static class QaWindowing
{
    /// <summary>Context tokens per window, and the overlap actually used.</summary>
    /// <param name="Window">Context tokens per window.</param>
    /// <param name="Stride">Tokens shared by consecutive windows.</param>
    /// <param name="StrideReduced">True when the question left a window not larger than the requested stride, so window − 1 is used.</param>
    public readonly record struct Geometry(int Window, int Stride, bool StrideReduced);

    /// <summary>The window size and overlap for a question of <paramref name="questionLength"/> tokens and a pair layout adding <paramref name="specialTokens"/>.</summary>
    public static Geometry Measure(int maxSequenceLength, int questionLength, int documentStride, int specialTokens = 3)
    {
        int window = maxSequenceLength - questionLength - specialTokens;
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

    /// <summary>All windows of (<paramref name="question"/>, <paramref name="context"/>) ids in BERT's layout <c>[CLS] q [SEP] c [SEP]</c>.</summary>
    public static List<QaWindow> Build(IReadOnlyList<int> question, IReadOnlyList<int> context, Geometry geometry, int clsId, int sepId) =>
        Build(question, context, geometry, new PairTemplate([clsId], [sepId], [sepId], SecondTypeId: 1));

    /// <summary>All windows of (<paramref name="question"/>, <paramref name="context"/>) ids: <c>Start q Middle c End</c> of <paramref name="template"/>.</summary>
    public static List<QaWindow> Build(IReadOnlyList<int> question, IReadOnlyList<int> context, Geometry geometry, PairTemplate template)
    {
        var windows = new List<QaWindow>();
        foreach (int offset in WindowStarts(context.Count, geometry))
        {
            int length = Math.Min(geometry.Window, context.Count - offset);
            var ids = new List<int>(question.Count + length + template.Count);
            ids.AddRange(template.Start);
            ids.AddRange(question);
            ids.AddRange(template.Middle);
            int contextStart = ids.Count;
            for (int i = 0; i < length; i++) ids.Add(context[offset + i]);
            ids.AddRange(template.End);
            var types = new int[ids.Count];
            for (int i = contextStart; i < types.Length; i++) types[i] = template.SecondTypeId;
            windows.Add(new QaWindow(ids.ToArray(), types, contextStart, offset, length));
        }
        return windows;
    }
}
