// Part-of-speech data from the Brown corpus (form C: "word/tag" tokens, one sentence per line, 15 genres in cats.txt).
internal sealed class TaggedSentence
{
    /// <summary>The words joined by single spaces (NamedEntityRecognition splits its sentence column on ' ').</summary>
    public string Words { get; set; } = "";
    /// <summary>One tag per word.</summary>
    public string[] Tags { get; set; } = [];
}

internal static class BrownPos
{
    /// <summary>
    /// Genre-stratified split: the last file of each genre (in name order) is test, the others are training (the same
    /// rule examples/Pretraining uses to keep the test files out of the pretraining text).
    /// </summary>
    public static (List<TaggedSentence> Train, List<TaggedSentence> Test) Load(string directory)
    {
        var genres = File.ReadLines(Path.Combine(directory, "cats.txt")).Where(l => l.Trim().Length > 0)
            .Select(l => l.Split(' ', 2)).GroupBy(p => p[1].Trim()).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => g.Select(p => p[0]).Order(StringComparer.Ordinal).ToList()).ToList();
        List<TaggedSentence> Read(IEnumerable<string> files) => files.SelectMany(f => ReadFile(Path.Combine(directory, f))).ToList();
        return (Read(genres.SelectMany(g => g.SkipLast(1))), Read(genres.Select(g => g.Last())));
    }

    private static IEnumerable<TaggedSentence> ReadFile(string path)
    {
        foreach (var line in File.ReadLines(path))
        {
            var tokens = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (tokens.Length == 0) continue;
            int[] slash = tokens.Select(t => t.LastIndexOf('/')).ToArray();
            yield return new TaggedSentence
            {
                Words = string.Join(' ', tokens.Select((t, i) => t[..slash[i]])),
                Tags = tokens.Select((t, i) => BaseTag(t[(slash[i] + 1)..])).ToArray(),
            };
        }
    }

    // Brown marks words in titles (-tl), headlines (-hl), cited (-nc) and foreign (fw-) words on top of the 87 base tags;
    // taggers are usually scored on the base tag.
    private static string BaseTag(string tag)
    {
        if (tag.StartsWith("fw-", StringComparison.Ordinal)) tag = tag[3..];
        foreach (var suffix in new[] { "-tl", "-hl", "-nc" })
            while (tag.EndsWith(suffix, StringComparison.Ordinal)) tag = tag[..^suffix.Length];
        return tag;
    }

    /// <summary>The baseline: each word's most frequent training tag (exact form, then lower-cased), else the most frequent tag overall.</summary>
    public static List<string[]> MostFrequentTag(IEnumerable<TaggedSentence> train, IEnumerable<TaggedSentence> test)
    {
        var pairs = train.SelectMany(s => s.Words.Split(' ').Zip(s.Tags)).ToList();
        Dictionary<string, string> Best(Func<string, string> key) =>
            pairs.GroupBy(p => key(p.First)).ToDictionary(g => g.Key, g => g.GroupBy(p => p.Second).MaxBy(t => t.Count())!.Key);
        var exact = Best(w => w);
        var lower = Best(w => w.ToLowerInvariant());
        var overall = pairs.GroupBy(p => p.Second).MaxBy(g => g.Count())!.Key;
        return test.Select(s => s.Words.Split(' ').Select(w => exact.GetValueOrDefault(w) ?? lower.GetValueOrDefault(w.ToLowerInvariant()) ?? overall).ToArray()).ToList();
    }

    /// <summary>Fraction of the test words whose predicted tag is the gold tag.</summary>
    public static double WordAccuracy(IReadOnlyList<TaggedSentence> gold, IReadOnlyList<string[]> predicted)
    {
        if (gold.Count != predicted.Count) throw new InvalidOperationException($"{predicted.Count} predicted sentences for {gold.Count} gold ones.");
        long correct = 0, total = 0;
        for (int i = 0; i < gold.Count; i++)
        {
            if (predicted[i].Length != gold[i].Tags.Length)
                throw new InvalidOperationException($"Sentence {i}: {predicted[i].Length} predicted tags for {gold[i].Tags.Length} words.");
            correct += gold[i].Tags.Zip(predicted[i]).Count(p => p.First == p.Second);
            total += gold[i].Tags.Length;
        }
        return (double)correct / total;
    }
}
