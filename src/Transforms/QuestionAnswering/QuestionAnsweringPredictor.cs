using MLNet.Transformers.Models;
using static TorchSharp.torch;

namespace MLNet.Transformers.Transforms;

/// <summary>
/// Answers questions with a <see cref="QuestionAnsweringModel"/> of any family: encodes each row's windows, runs them through the
/// model <c>batchSize</c> windows at a time (windows of different rows share batches), scores each window's spans and
/// merges them per row (<see cref="SpanScoring"/>, <see cref="AnswerSelection"/>).
/// </summary>
internal sealed class QuestionAnsweringPredictor(QaEncoder encoder, Func<IReadOnlyList<QaWindow>, (float[][] Start, float[][] End)> logits,
    int topK, int maxAnswerLength, bool allowNoAnswer, int batchSize)
{
    /// <summary>A predictor running <paramref name="model"/> (in eval mode, on <paramref name="device"/>).</summary>
    public QuestionAnsweringPredictor(QuestionAnsweringModel model, QaEncoder encoder, int topK, int maxAnswerLength, bool allowNoAnswer, int batchSize, Device device)
        : this(encoder, windows => Logits(model, windows, encoder.Tokenizer.PadTokenId, device), topK, maxAnswerLength, allowNoAnswer, batchSize) { }

    // HF asks decode_spans for top_k · 2 + 10 spans per window when aligning to words: some map to the same text.
    private int Candidates => topK * 2 + 10;

    /// <summary>The top-k answers of each (question, context) row, best first.</summary>
    public QuestionAnswer[][] Predict(IReadOnlyList<string> questions, IReadOnlyList<string> contexts)
    {
        var examples = questions.Select((q, i) => encoder.Encode(q, contexts[i])).ToList();
        var all = examples.SelectMany((e, row) => e.Windows.Select(w => (Row: row, Window: w))).ToList();
        var spans = new WindowSpans[all.Count];
        for (int first = 0; first < all.Count; first += batchSize)
        {
            var chunk = all.Skip(first).Take(batchSize).Select(x => x.Window).ToList();
            var (starts, ends) = logits(chunk);
            for (int k = 0; k < chunk.Count; k++)
                spans[first + k] = SpanScoring.Score(starts[k], ends[k], chunk[k], maxAnswerLength, Candidates);
        }
        var results = new QuestionAnswer[examples.Count][];
        for (int row = 0, next = 0; row < examples.Count; row++)
        {
            var windows = examples[row].Windows.Select(w => (w, spans[next++])).ToList();   // `all` lists rows in order
            results[row] = AnswerSelection.Select(examples[row].Context, examples[row].ContextTokens, windows, topK, allowNoAnswer);
        }
        return results;
    }

    /// <summary>Start and end logits of each window (float32, one array per window, padded length).</summary>
    public static (float[][] Start, float[][] End) Logits(QuestionAnsweringModel model, IReadOnlyList<QaWindow> windows, int padId, Device device)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (ids, types, mask) = QaBatch.Create(windows, padId, device);
        var output = model.forward(ids, types, mask);
        var start = FiniteOutput.Require(output.Start, "start logits").to(ScalarType.Float32).cpu();
        var end = FiniteOutput.Require(output.End, "end logits").to(ScalarType.Float32).cpu();
        long t = start.shape[1];
        var s = start.data<float>().ToArray();
        var e = end.data<float>().ToArray();
        var starts = new float[windows.Count][];
        var ends = new float[windows.Count][];
        for (int r = 0; r < windows.Count; r++)
        {
            starts[r] = s.AsSpan((int)(r * t), (int)t).ToArray();
            ends[r] = e.AsSpan((int)(r * t), (int)t).ToArray();
        }
        return (starts, ends);
    }
}
