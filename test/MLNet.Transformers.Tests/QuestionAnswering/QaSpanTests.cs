using MLNet.Transformers.Tests.Models;
using MLNet.Transformers.Tokenization;
using MLNet.Transformers.Transforms;

namespace MLNet.Transformers.Tests.QuestionAnswering;

/// <summary>Windowing, span scoring and answer extraction of extractive QA, with logits made up by hand (no model).</summary>
[TestClass]
public sealed class QaSpanTests
{
    private static readonly BertWordPieceTokenizer Tokenizer = BertWordPieceTokenizer.FromDirectory(BertParityTests.FixtureDirectory);

    [TestMethod]
    public void Windows_FollowTokenizersOverflowRule()
    {
        var g = new QaWindowing.Geometry(30, 10, false);
        CollectionAssert.AreEqual(new[] { 0, 20, 40, 60, 80 }, QaWindowing.WindowStarts(100, g).ToArray());
        CollectionAssert.AreEqual(new[] { 0 }, QaWindowing.WindowStarts(30, g).ToArray());
        CollectionAssert.AreEqual(new[] { 0, 20 }, QaWindowing.WindowStarts(31, g).ToArray());
        CollectionAssert.AreEqual(new[] { 0 }, QaWindowing.WindowStarts(0, g).ToArray());
    }

    [TestMethod]
    public void Windows_StrideNotSmallerThanWindow_OverlapsByWindowMinusOne()
    {
        Assert.AreEqual(new QaWindowing.Geometry(7, 6, true), QaWindowing.Measure(20, 10, 8));
        Assert.AreEqual(new QaWindowing.Geometry(384 - 15 - 3, 128, false), QaWindowing.Measure(384, 15, 128));
        Assert.ThrowsExactly<ArgumentException>(() => QaWindowing.Measure(20, 17, 8));
    }

    [TestMethod]
    public void Windows_AreClsQuestionSepContextSep()
    {
        var windows = QaWindowing.Build([7, 8], [1, 2, 3, 4, 5], new QaWindowing.Geometry(3, 1, false), clsId: 101, sepId: 102);
        Assert.HasCount(2, windows);
        CollectionAssert.AreEqual(new[] { 101, 7, 8, 102, 1, 2, 3, 102 }, windows[0].InputIds);
        CollectionAssert.AreEqual(new[] { 0, 0, 0, 0, 1, 1, 1, 1 }, windows[0].TokenTypeIds);
        CollectionAssert.AreEqual(new[] { 101, 7, 8, 102, 3, 4, 5, 102 }, windows[1].InputIds);
        Assert.AreEqual((4, 2, 3), (windows[1].ContextStart, windows[1].ContextOffset, windows[1].ContextLength));
    }

    [TestMethod]
    public void Span_EndBeforeStartNeverChosen()
    {
        // [CLS] q q [SEP] c c c c c c c c [SEP]: the best start (position 9) lies after the best end (position 5).
        var window = new QaWindow(new int[13], new int[13], ContextStart: 4, ContextOffset: 0, ContextLength: 8);
        var start = new float[13]; start[9] = 6; start[6] = 3;
        var end = new float[13]; end[5] = 6; end[10] = 3;
        var spans = SpanScoring.Score(start, end, window, maxAnswerLength: 15, candidates: 100);
        Assert.IsTrue(spans.Spans.All(s => s.End >= s.Start));
        Assert.AreEqual(8 * 9 / 2, spans.Spans.Count, "every span with both ends in the context and end ≥ start");
        var (ps, pe) = (Softmax(start, window), Softmax(end, window));
        var brute = (from i in Enumerable.Range(4, 8) from j in Enumerable.Range(i, 12 - i) select (i, j, s: ps[i] * pe[j])).MaxBy(x => x.s);
        Assert.AreEqual((brute.i, brute.j), (spans.Spans[0].Start, spans.Spans[0].End));
        Assert.AreEqual(brute.s, spans.Spans[0].Score, 1e-12);
    }

    [TestMethod]
    public void Span_RespectsMaxAnswerLength()
    {
        var window = new QaWindow(new int[40], new int[40], ContextStart: 3, ContextOffset: 0, ContextLength: 36);
        var start = new float[40]; start[3] = 9;
        var end = new float[40]; end[30] = 9; end[6] = 2;
        var spans = SpanScoring.Score(start, end, window, maxAnswerLength: 5, candidates: 1000);
        Assert.IsTrue(spans.Spans.All(s => s.End - s.Start + 1 <= 5));
        Assert.AreEqual((3, 6), (spans.Spans[0].Start, spans.Spans[0].End), "the best end within 5 tokens of the best start");
        var longer = SpanScoring.Score(start, end, window, maxAnswerLength: 30, candidates: 1);
        Assert.AreEqual((3, 30), (longer.Spans[0].Start, longer.Spans[0].End));
    }

    [TestMethod]
    public void Span_NeverCoversQuestionSepOrPadding()
    {
        // 12 real positions then 4 of padding; the question, both [SEP]s and the padding get the largest logits.
        var window = new QaWindow(new int[12], new int[12], ContextStart: 5, ContextOffset: 0, ContextLength: 6);
        var start = new float[16]; var end = new float[16];
        foreach (int p in new[] { 1, 2, 3, 4, 11, 12, 13, 14, 15 }) { start[p] = 50; end[p] = 50; }
        start[7] = 1; end[8] = 1;
        var spans = SpanScoring.Score(start, end, window, maxAnswerLength: 15, candidates: 1000);
        Assert.IsTrue(spans.Spans.All(s => s.Start >= 5 && s.End <= 10), "both ends in the context");
        Assert.AreEqual((7, 8), (spans.Spans[0].Start, spans.Spans[0].End));
        // The masked logits take no probability: p over [CLS] and the context sums to 1.
        var ps = Softmax(start, window);
        Assert.AreEqual(1.0, ps[0] + ps.Skip(5).Take(6).Sum(), 1e-12);
        Assert.AreEqual(ps[7] * Softmax(end, window)[8], spans.Spans[0].Score, 1e-12);
    }

    [TestMethod]
    public void NullAnswer_OnlyWhenAllowedAndBest()
    {
        const string context = "Paris is the capital of France.";
        var tokens = TokenizedText.Create(Tokenizer, context);
        int paris = 0;
        float[] Logits(QaWindow w, float cls) { var l = new float[w.InputIds.Length]; l[0] = cls; l[w.ContextStart + paris] = 4; return l; }

        var strongNull = Answers("where?", context, w => (Logits(w, 8), Logits(w, 8)), topK: 3, allowNoAnswer: true);
        Assert.AreEqual("", strongNull[0].Text);
        Assert.AreEqual(-1, strongNull[0].Start);
        Assert.AreEqual("Paris", strongNull[1].Text);
        var weakNull = Answers("where?", context, w => (Logits(w, 1), Logits(w, 1)), topK: 100, allowNoAnswer: true);
        Assert.AreEqual("Paris", weakNull[0].Text);
        Assert.IsTrue(weakNull.Any(a => a.Text == ""), "the empty answer is ranked with the spans");
        var notAllowed = Answers("where?", context, w => (Logits(w, 8), Logits(w, 8)), topK: 3, allowNoAnswer: false);
        Assert.AreEqual("Paris", notAllowed[0].Text);
        Assert.IsFalse(notAllowed.Any(a => a.Text == ""));
        // The null score is p_start([CLS]) · p_end([CLS]).
        var w0 = QaWindowing.Build(Tokenizer.Tokenize("where?"), tokens.Ids, QaWindowing.Measure(64, 2, 32), Tokenizer.ClsTokenId, Tokenizer.SepTokenId)[0];
        double pCls = Softmax(Logits(w0, 8), w0)[0];
        Assert.AreEqual(pCls * pCls, strongNull[0].Score, 1e-6);
    }

    [TestMethod]
    public void Answer_IsExactSubstringOfTheOriginalContext()
    {
        const string context = "Le  Café   crème, naïve!  Unaffable   東京は 1,5 km.";
        var tokens = TokenizedText.Create(Tokenizer, context);
        int Token(string text, int piece = 0) => Enumerable.Range(0, tokens.Length).Where(i => context[tokens.Offsets[i].Start..tokens.Offsets[i].End] == text).Append(-1).ElementAt(piece) is int t and >= 0 ? t
            : throw new AssertFailedException($"no token '{text}' in: {string.Join(" | ", tokens.Offsets.Select(o => context[o.Start..o.End]))}");
        string Span(int first, int last) => Answers("what?", context, w => (Peak(w, first), Peak(w, last)), topK: 1, allowNoAnswer: false)[0].Text;

        Assert.AreEqual("Café   crème", Span(Token("Café"), Token("cr")), "accents and inner spaces kept; the span ends with the word of its last piece");
        Assert.AreEqual("crème,", Span(Token("ème"), Token(",")), "starts with the word of its first piece; punctuation is a word of its own");
        Assert.AreEqual("naïve!", Span(Token("naïve"), Token("!")));
        Assert.AreEqual("京", Span(Token("京"), Token("京")), "each CJK character is a word");
        Assert.AreEqual("東京は", Span(Token("東"), Token("は")));
        Assert.AreEqual("1,5", Span(Token("1"), Token("5")));
        // A span starting or ending inside a word grows to the whole word.
        int una = tokens.Offsets.Select((o, i) => (o, i)).First(x => x.o.Start == context.IndexOf("Unaffable", StringComparison.Ordinal)).i;
        Assert.IsTrue(tokens.WordIds[una + 1] == tokens.WordIds[una], "Unaffable has several WordPiece pieces");
        Assert.AreEqual("Unaffable", Span(una + 1, una + 1));
        var answer = Answers("what?", context, w => (Peak(w, una + 1), Peak(w, una + 1)), 1, false)[0];
        Assert.AreEqual(context.IndexOf("Unaffable", StringComparison.Ordinal), answer.Start);
    }

    [TestMethod]
    public void TopK_KeepsBestScorePerDistinctText()
    {
        // Both pieces of "Unaffable" map to the same text: it appears once, with its best span's score.
        const string context = "Unaffable people";
        var tokens = TokenizedText.Create(Tokenizer, context);
        Assert.IsTrue(tokens.Length >= 3);
        float[] L(QaWindow w, params (int Token, float Value)[] v) { var l = new float[w.InputIds.Length]; foreach (var (t, x) in v) l[w.ContextStart + t] = x; return l; }
        int people = tokens.Length - 1;
        var answers = Answers("who?", context, w => (L(w, (0, 3), (1, 2), (people, 1)), L(w, (0, 3), (1, 2), (people, 1))), topK: 5, allowNoAnswer: false);
        Assert.AreEqual(answers.Length, answers.Select(a => a.Text).Distinct().Count());
        Assert.AreEqual("Unaffable", answers[0].Text);
        Assert.IsTrue(answers.Zip(answers.Skip(1)).All(p => p.First.Score >= p.Second.Score), "best first");
    }

    [TestMethod]
    public void DocStride_AnswerNearTheEndOfALongContextIsFound_WithTheScoreOfItsWindow()
    {
        var filler = string.Join(" ", Enumerable.Range(0, 70).Select(i => i % 2 == 0 ? "the river runs" : "past the old mill"));
        string context = filler + " and then a zebra appeared .";
        int zebraId = Tokenizer.TokenToId("zebra");
        (float[], float[]) ZebraLogits(QaWindow w)
        {
            var l = w.InputIds.Select(id => id == zebraId ? 8f : 0f).ToArray();
            return (l, (float[])l.Clone());
        }
        var encoder = new QaEncoder(Tokenizer, maxSequenceLength: 64, documentStride: 16, maxQuestionLength: 64);
        var example = encoder.Encode("what appeared?", context);
        Assert.IsTrue(example.ContextTokens.Length >= 3 * example.Geometry.Window, $"{example.ContextTokens.Length} tokens, window {example.Geometry.Window}");
        Assert.IsTrue(example.Windows.Count >= 4);

        var answer = Answers("what appeared?", context, ZebraLogits, topK: 1, allowNoAnswer: false, encoder)[0];
        Assert.AreEqual("zebra", answer.Text);
        Assert.AreEqual(context.IndexOf("zebra", StringComparison.Ordinal), answer.Start);

        // The last window, given alone as the context, yields the same score.
        var last = example.Windows[^1];
        var t = example.ContextTokens;
        string windowText = context[t.Offsets[last.ContextOffset].Start..t.Offsets[last.ContextOffset + last.ContextLength - 1].End];
        var alone = Answers("what appeared?", windowText, ZebraLogits, topK: 1, allowNoAnswer: false, encoder)[0];
        Assert.AreEqual("zebra", alone.Text);
        Assert.AreEqual(alone.Score, answer.Score, 1e-6f);
    }

    [TestMethod]
    public void TrainingTarget_IsTheAnswersTokensInTheWindowsThatHoldItWhole_ElseCls()
    {
        var filler = string.Join(" ", Enumerable.Repeat("the river runs past the old mill", 12));
        string context = filler + " and a striped zebra appeared at dawn .";
        int start = context.IndexOf("striped zebra", StringComparison.Ordinal), end = start + "striped zebra".Length;
        var encoder = new QaEncoder(Tokenizer, maxSequenceLength: 40, documentStride: 12, maxQuestionLength: 64);
        var example = encoder.Encode("what appeared?", context);
        Assert.IsTrue(example.Windows.Count >= 3);
        int holding = 0;
        foreach (var window in example.Windows)
        {
            var (s, e) = window.AnswerPositions(example.ContextTokens, start, end);
            var t = example.ContextTokens;
            bool whole = t.Offsets[window.ContextOffset].Start <= start && t.Offsets[window.ContextOffset + window.ContextLength - 1].End >= end;
            if (!whole) { Assert.AreEqual((0, 0), (s, e), "[CLS] when the answer is not wholly inside"); continue; }
            holding++;
            Assert.AreEqual("striped zebra", context[t.Offsets[window.ContextTokenAt(s)].Start..t.Offsets[window.ContextTokenAt(e)].End]);
        }
        Assert.IsTrue(holding >= 1);
        Assert.AreEqual((0, 0), example.Windows[0].AnswerPositions(example.ContextTokens, -1, 0), "no answer → [CLS]");
    }

    internal static QuestionAnswer[] Answers(string question, string context, Func<QaWindow, (float[] Start, float[] End)> logits,
        int topK, bool allowNoAnswer, QaEncoder? encoder = null)
    {
        encoder ??= new QaEncoder(Tokenizer, maxSequenceLength: 64, documentStride: 32, maxQuestionLength: 64);
        var predictor = new QuestionAnsweringPredictor(encoder, windows =>
        {
            var pairs = windows.Select(logits).ToArray();
            return (pairs.Select(p => p.Start).ToArray(), pairs.Select(p => p.End).ToArray());
        }, topK, maxAnswerLength: 15, allowNoAnswer, batchSize: 3);
        return predictor.Predict([question], [context])[0];
    }

    // Logits with one peak at context token `token` (when it is in the window).
    private static float[] Peak(QaWindow w, int token)
    {
        var l = new float[w.InputIds.Length];
        int p = w.ContextStart + token - w.ContextOffset;
        if (w.IsContext(p)) l[p] = 10;
        return l;
    }

    private static double[] Softmax(float[] logits, QaWindow w)
    {
        var masked = logits.Select((x, t) => t == 0 || w.IsContext(t) ? (double)x : -10000).ToArray();
        double max = masked.Max();
        var e = masked.Select(x => Math.Exp(x - max)).ToArray();
        return e.Select(x => x / e.Sum()).ToArray();
    }
}
