using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace MLNet.Transformers.Tokenization;

/// <summary>
/// Trains a GPT-2-style byte-level BPE vocabulary on a corpus (what HF <c>ByteLevelBPETokenizer.train</c> does): texts are split
/// with GPT-2's pre-tokenizer regex, each piece is spelled in GPT-2's byte alphabet (every byte has a printable character, so
/// no text is ever unknown), and the most frequent adjacent pair is merged until the vocabulary has the requested size.
/// Ties break on the pair's text, so the result is deterministic. The output is a <c>vocab.json</c> + <c>merges.txt</c> pair:
/// the 256 byte symbols first (ids 0-255, in GPT-2's order), then one token per merge, then <c>&lt;|endoftext|&gt;</c> last.
/// </summary>
internal static class ByteLevelBpeTrainer
{
    private static readonly Regex Split = new(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+", RegexOptions.Compiled);

    /// <summary>Trains a vocabulary of at most <paramref name="vocabularySize"/> tokens (≥ 257) and returns a tokenizer using it.</summary>
    public static Gpt2BpeTokenizer Train(IEnumerable<string> texts, int vocabularySize)
    {
        if (vocabularySize < 257) throw new ArgumentOutOfRangeException(nameof(vocabularySize), vocabularySize, "A byte-level vocabulary needs at least 257 tokens (256 bytes + <|endoftext|>).");
        var byteChar = ByteToChar();
        var wordCounts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var text in texts)
            foreach (Match m in Split.Matches(text))
            {
                var spelled = string.Concat(Encoding.UTF8.GetBytes(m.Value).Select(b => byteChar[b]));
                wordCounts[spelled] = wordCounts.GetValueOrDefault(spelled) + 1;
            }

        var words = wordCounts.Select(kv => (Symbols: kv.Key.Select(c => c.ToString()).ToList(), Count: kv.Value)).ToList();
        var pairCounts = new Dictionary<(string, string), long>();
        var pairWords = new Dictionary<(string, string), HashSet<int>>();
        void Count(int w, int sign)
        {
            var symbols = words[w].Symbols;
            for (int i = 0; i + 1 < symbols.Count; i++)
            {
                var pair = (symbols[i], symbols[i + 1]);
                pairCounts[pair] = pairCounts.GetValueOrDefault(pair) + sign * words[w].Count;
                if (sign > 0) { if (!pairWords.TryGetValue(pair, out var set)) pairWords[pair] = set = []; set.Add(w); }
            }
        }
        for (int w = 0; w < words.Count; w++) Count(w, +1);

        var vocabulary = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var c in ByteSymbolsInIdOrder(byteChar)) vocabulary[c.ToString()] = vocabulary.Count;
        var merges = new List<string>();
        while (vocabulary.Count < vocabularySize - 1)
        {
            (string, string) best = default;
            long bestCount = 1;                                                     // a pair must repeat: merging a one-off only memorises
            foreach (var (pair, count) in pairCounts)
                if (count > bestCount || (count == bestCount && best != default && Before(pair, best))) { best = pair; bestCount = count; }
            if (best == default) break;
            string merged = best.Item1 + best.Item2;
            merges.Add($"{best.Item1} {best.Item2}");
            vocabulary.TryAdd(merged, vocabulary.Count);
            foreach (int w in pairWords[best].ToList())
            {
                Count(w, -1);
                var symbols = words[w].Symbols;
                for (int i = 0; i + 1 < symbols.Count; i++)
                    if (symbols[i] == best.Item1 && symbols[i + 1] == best.Item2) { symbols[i] = merged; symbols.RemoveAt(i + 1); }
                Count(w, +1);
            }
            pairCounts.Remove(best);
            pairWords.Remove(best);
        }
        vocabulary[Gpt2BpeTokenizer.EndOfText] = vocabulary.Count;
        var vocabJson = JsonSerializer.SerializeToUtf8Bytes(vocabulary);
        var mergesText = Encoding.UTF8.GetBytes("#version: 0.2\n" + string.Join("\n", merges) + "\n");
        return Gpt2BpeTokenizer.FromContents(vocabJson, mergesText);
    }

    private static bool Before((string, string) a, (string, string) b)
    {
        int first = string.CompareOrdinal(a.Item1, b.Item1);
        return first < 0 || (first == 0 && string.CompareOrdinal(a.Item2, b.Item2) < 0);
    }

    /// <summary>GPT-2's <c>bytes_to_unicode</c>, indexed by byte: printable bytes map to themselves, the others to U+0100 onwards.</summary>
    internal static char[] ByteToChar()
    {
        var result = new char[256];
        int next = 0;
        for (int b = 0; b < 256; b++) result[b] = IsPrintable(b) ? (char)b : (char)(256 + next++);
        return result;
    }

    /// <summary>The 256 byte symbols in GPT-2's id order: printable bytes first, then the remapped ones.</summary>
    private static IEnumerable<char> ByteSymbolsInIdOrder(char[] byteToChar) =>
        Enumerable.Range(0, 256).Where(IsPrintable).Concat(Enumerable.Range(0, 256).Where(b => !IsPrintable(b))).Select(b => byteToChar[b]);

    private static bool IsPrintable(int b) => b is (>= '!' and <= '~') or (>= '¡' and <= '¬') or (>= '®' and <= 'ÿ');
}
