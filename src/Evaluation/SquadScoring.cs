using System.Text.RegularExpressions;

namespace MLNet.Transformers;

/// <summary>
/// SQuAD's exact-match and F1 for one prediction, as the official evaluation script (v2.0, which agrees with v1.1 on
/// answerable questions): answers are lower-cased, ASCII punctuation removed, the articles a/an/the dropped and
/// whitespace collapsed before comparing; F1 is over the multiset of normalised words; an empty answer only matches an
/// empty answer.
/// </summary>
public static partial class SquadScoring
{
    private const string Punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";   // Python's string.punctuation

    [GeneratedRegex(@"\b(a|an|the)\b")]
    private static partial Regex Articles();

    /// <summary>The official <c>normalize_answer</c>: lower case, no punctuation, no articles, single spaces.</summary>
    public static string Normalize(string text)
    {
        var lower = (text ?? "").ToLowerInvariant();
        var noPunctuation = string.Concat(lower.Where(c => !Punctuation.Contains(c)));
        var noArticles = Articles().Replace(noPunctuation, " ");
        return string.Join(" ", Words(noArticles));
    }

    /// <summary>1 when the normalised texts are equal, else 0.</summary>
    public static double ExactMatch(string prediction, string gold) => Normalize(prediction) == Normalize(gold) ? 1 : 0;

    /// <summary>Word-overlap F1 of the normalised texts (1 when both are empty, 0 when only one is).</summary>
    public static double F1(string prediction, string gold)
    {
        var predicted = Words(Normalize(prediction));
        var expected = Words(Normalize(gold));
        if (predicted.Length == 0 || expected.Length == 0) return predicted.Length == expected.Length ? 1 : 0;
        var counts = expected.GroupBy(w => w).ToDictionary(g => g.Key, g => g.Count());
        int same = 0;
        foreach (var w in predicted)
            if (counts.TryGetValue(w, out int n) && n > 0) { counts[w] = n - 1; same++; }
        if (same == 0) return 0;
        double precision = (double)same / predicted.Length, recall = (double)same / expected.Length;
        return 2 * precision * recall / (precision + recall);
    }

    /// <summary>
    /// The gold answers the script scores against: those whose normalised text is not empty, or just "" when none is
    /// (a SQuAD 2.0 unanswerable question).
    /// </summary>
    public static IReadOnlyList<string> GoldAnswers(IEnumerable<string>? golds)
    {
        var kept = (golds ?? []).Where(g => Normalize(g).Length > 0).ToList();
        return kept.Count > 0 ? kept : [""];
    }

    private static string[] Words(string text) => text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
}
