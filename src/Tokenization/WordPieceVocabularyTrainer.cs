namespace MLNet.Transformers.Tokenization;

/// <summary>Options of <see cref="WordPieceVocabularyTrainer"/>.</summary>
internal sealed class WordPieceTrainingOptions
{
    /// <summary>Target vocabulary size, special tokens included.</summary>
    public int VocabularySize { get; set; } = 8000;
    /// <summary>A pair must occur at least this often to be merged.</summary>
    public int MinFrequency { get; set; } = 2;
    /// <summary>Lower-case (and strip accents) before counting, for an uncased model.</summary>
    public bool LowerCase { get; set; } = true;
    /// <summary>Special tokens, given ids 0, 1, … in this order.</summary>
    public IReadOnlyList<string> SpecialTokens { get; set; } = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];
}

/// <summary>
/// Learns a WordPiece vocabulary from text as Hugging Face <c>tokenizers</c>' WordPieceTrainer does: pre-tokenize with BERT's
/// basic rules, start from the characters (word-initial and "##"-continuation forms), then repeatedly merge the most
/// frequent adjacent pair (ties broken by the pair's text, so the result is deterministic) until the size is reached.
/// Pair counts are updated incrementally over the table of distinct words, so ~1 MB of text trains in seconds.
/// </summary>
internal static class WordPieceVocabularyTrainer
{
    private const string Prefix = "##";

    /// <summary>Trains a vocabulary; index = id, special tokens first.</summary>
    public static IReadOnlyList<string> Train(IEnumerable<string> texts, WordPieceTrainingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(texts);
        options ??= new WordPieceTrainingOptions();
        if (options.VocabularySize <= options.SpecialTokens.Count)
            throw new ArgumentOutOfRangeException(nameof(options), options.VocabularySize, "VocabularySize must exceed the number of special tokens.");
        var basic = new BasicTokenizer(options.LowerCase, options.LowerCase, tokenizeChineseChars: true, options.SpecialTokens);

        var frequencies = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var text in texts)
            foreach (var pre in basic.Tokenize(text ?? ""))
                if (!pre.IsSpecial) frequencies[pre.Text] = frequencies.GetValueOrDefault(pre.Text) + 1;

        var vocabulary = new List<string>(options.SpecialTokens);
        var known = new HashSet<string>(vocabulary, StringComparer.Ordinal);
        // Distinct words in a fixed order, each as its current list of symbols.
        var words = frequencies.OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => (Symbols: Split(kv.Key), Count: kv.Value)).ToArray();
        foreach (var symbol in words.SelectMany(w => w.Symbols).Distinct().Order(StringComparer.Ordinal))
            if (known.Add(symbol)) vocabulary.Add(symbol);

        var pairCounts = new Dictionary<(string, string), long>();
        var pairWords = new Dictionary<(string, string), HashSet<int>>();
        var queue = new PriorityQueue<(string, string), (long Count, string A, string B)>(Comparer<(long Count, string A, string B)>.Create(
            (x, y) => x.Count != y.Count ? y.Count.CompareTo(x.Count) : string.CompareOrdinal(x.A, y.A) is var c and not 0 ? c : string.CompareOrdinal(x.B, y.B)));
        for (int w = 0; w < words.Length; w++) AddPairs(w, +1);
        foreach (var (pair, count) in pairCounts) queue.Enqueue(pair, (count, pair.Item1, pair.Item2));

        while (vocabulary.Count < options.VocabularySize && queue.TryDequeue(out var best, out var priority))
        {
            if (pairCounts.GetValueOrDefault(best) != priority.Count) continue;     // stale entry
            if (priority.Count < options.MinFrequency) break;
            var merged = best.Item1 + (best.Item2.StartsWith(Prefix, StringComparison.Ordinal) ? best.Item2[Prefix.Length..] : best.Item2);
            if (known.Add(merged)) vocabulary.Add(merged);
            var touched = new HashSet<(string, string)>();
            foreach (var w in pairWords[best].ToArray())
            {
                AddPairs(w, -1, touched);
                words[w].Symbols = Merge(words[w].Symbols, best, merged);
                AddPairs(w, +1, touched);
            }
            foreach (var pair in touched)
                if (pairCounts.GetValueOrDefault(pair) is > 0 and var count) queue.Enqueue(pair, (count, pair.Item1, pair.Item2));
        }
        return vocabulary;

        void AddPairs(int w, int sign, HashSet<(string, string)>? touched = null)
        {
            var (symbols, count) = words[w];
            for (int i = 0; i + 1 < symbols.Count; i++)
            {
                var pair = (symbols[i], symbols[i + 1]);
                pairCounts[pair] = pairCounts.GetValueOrDefault(pair) + sign * (long)count;
                if (!pairWords.TryGetValue(pair, out var set)) pairWords[pair] = set = [];
                if (sign > 0) set.Add(w);
                else if (!Contains(words[w].Symbols, pair, i + 1)) set.Remove(w);
                touched?.Add(pair);
            }
        }
    }

    /// <summary>Writes a vocabulary as <c>vocab.txt</c>.</summary>
    public static void Save(IReadOnlyList<string> vocabulary, string path) =>
        File.WriteAllText(path, string.Join("\n", vocabulary) + "\n", new System.Text.UTF8Encoding(false));

    private static List<string> Split(string word)
    {
        var symbols = new List<string>(word.Length);
        for (int i = 0; i < word.Length; i += char.IsSurrogatePair(word, i) ? 2 : 1)
        {
            var ch = word.Substring(i, char.IsSurrogatePair(word, i) ? 2 : 1);
            symbols.Add(i == 0 ? ch : Prefix + ch);
        }
        return symbols;
    }

    // Whether the pair occurs in symbols at or after index `from` (removing a word from a pair's set only when its last occurrence goes).
    private static bool Contains(List<string> symbols, (string, string) pair, int from)
    {
        for (int i = from; i + 1 < symbols.Count; i++)
            if (symbols[i] == pair.Item1 && symbols[i + 1] == pair.Item2) return true;
        return false;
    }

    private static List<string> Merge(List<string> symbols, (string, string) pair, string merged)
    {
        var result = new List<string>(symbols.Count);
        for (int i = 0; i < symbols.Count; i++)
        {
            if (i + 1 < symbols.Count && symbols[i] == pair.Item1 && symbols[i + 1] == pair.Item2) { result.Add(merged); i++; }
            else result.Add(symbols[i]);
        }
        return result;
    }
}
