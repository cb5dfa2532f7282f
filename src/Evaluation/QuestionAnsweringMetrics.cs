namespace MLNet.Transformers;

/// <summary>
/// SQuAD metrics of extractive question answering, in percent as the official script prints them: exact match and F1,
/// each the maximum over a question's gold answers, averaged over questions; and the same split into questions that
/// have an answer and SQuAD 2.0 questions that have none (whose only correct prediction is the empty answer).
/// </summary>
public sealed record QuestionAnsweringMetrics
{
    /// <summary>Questions scored.</summary>
    public int Count { get; init; }
    /// <summary>Exact match, 0–100.</summary>
    public double ExactMatch { get; init; }
    /// <summary>F1, 0–100.</summary>
    public double F1 { get; init; }
    /// <summary>Questions with at least one non-empty gold answer.</summary>
    public int HasAnswerCount { get; init; }
    /// <summary>Exact match over questions with an answer (NaN when there are none).</summary>
    public double HasAnswerExactMatch { get; init; }
    /// <summary>F1 over questions with an answer (NaN when there are none).</summary>
    public double HasAnswerF1 { get; init; }
    /// <summary>Questions without an answer (SQuAD 2.0 <c>is_impossible</c>).</summary>
    public int NoAnswerCount { get; init; }
    /// <summary>Exact match over questions without an answer: the share answered with "" (NaN when there are none).</summary>
    public double NoAnswerExactMatch { get; init; }
    /// <summary>F1 over questions without an answer (equal to <see cref="NoAnswerExactMatch"/>; NaN when there are none).</summary>
    public double NoAnswerF1 { get; init; }

    /// <summary>Scores predictions (the best answer of each question) against their gold answers.</summary>
    /// <param name="items">Per question: the predicted answer ("" = no answer) and all gold answers (none or only empty = unanswerable).</param>
    public static QuestionAnsweringMetrics Compute(IEnumerable<(string Prediction, IReadOnlyList<string> GoldAnswers)> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var has = new List<(double Em, double F1)>();
        var none = new List<(double Em, double F1)>();
        foreach (var (prediction, golds) in items)
        {
            bool answerable = (golds ?? []).Any(g => !string.IsNullOrEmpty(g));   // the script's qid_to_has_ans
            var scored = SquadScoring.GoldAnswers(golds);
            var score = (scored.Max(g => SquadScoring.ExactMatch(prediction ?? "", g)), scored.Max(g => SquadScoring.F1(prediction ?? "", g)));
            (answerable ? has : none).Add(score);
        }
        static double Mean(IEnumerable<double> values) => values.Any() ? 100 * values.Average() : double.NaN;
        var all = has.Concat(none).ToList();
        return new QuestionAnsweringMetrics
        {
            Count = all.Count,
            ExactMatch = Mean(all.Select(s => s.Em)), F1 = Mean(all.Select(s => s.F1)),
            HasAnswerCount = has.Count, HasAnswerExactMatch = Mean(has.Select(s => s.Em)), HasAnswerF1 = Mean(has.Select(s => s.F1)),
            NoAnswerCount = none.Count, NoAnswerExactMatch = Mean(none.Select(s => s.Em)), NoAnswerF1 = Mean(none.Select(s => s.F1)),
        };
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"EM {ExactMatch:F2}  F1 {F1:F2}  ({Count} questions" +
        (NoAnswerCount > 0 ? $"; has-answer EM {HasAnswerExactMatch:F2} F1 {HasAnswerF1:F2} ({HasAnswerCount}), no-answer EM {NoAnswerExactMatch:F2} ({NoAnswerCount})" : "") + ")";
}
