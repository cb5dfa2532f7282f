using System.Text;
using System.Text.Json;

namespace MLNet.Transformers.Tokenization;

/// <summary>
/// Reads and checks the two files of a byte-level BPE tokenizer (GPT-2, RoBERTa) before Microsoft.ML.Tokenizers sees them,
/// so a damaged file is refused with its name, line and problem (HF's <c>tokenizers</c> refuses the same files: "Merges text
/// file invalid at line N", "MergeTokenOutOfVocabulary") instead of "Invalid merger file format", "An item with the same
/// key…", or being accepted and failing later in libtorch.
/// </summary>
internal static class ByteLevelBpeFiles
{
    /// <summary>vocab.json: a JSON object of token → id, ids non-negative and distinct.</summary>
    public static Dictionary<string, int> ReadVocabulary(byte[] json, string source)
    {
        string where = $"vocab.json in '{source}'";
        var vocabulary = new Dictionary<string, int>(StringComparer.Ordinal);
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new ArgumentException($"{where} is not a JSON object of token → id (it is {document.RootElement.ValueKind}).", nameof(source));
            foreach (var entry in document.RootElement.EnumerateObject())
            {
                if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out int id))
                    throw new ArgumentException($"{where}: token '{entry.Name}' has id {entry.Value.GetRawText()}, not an integer.", nameof(source));
                if (id < 0) throw new ArgumentException($"{where}: token '{entry.Name}' has the negative id {id}.", nameof(source));
                if (!vocabulary.TryAdd(entry.Name, id))
                    throw new ArgumentException($"{where}: token '{entry.Name}' appears twice.", nameof(source));
            }
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"{where} is not a JSON object of token → id: {e.Message}", nameof(source), e);
        }
        var byId = new Dictionary<int, string>();
        foreach (var (token, id) in vocabulary)
            if (!byId.TryAdd(id, token))
                throw new ArgumentException($"{where}: tokens '{byId[id]}' and '{token}' both have id {id}.", nameof(source));
        return vocabulary;
    }

    /// <summary>
    /// merges.txt: after an optional "#version" line, one "left right" pair a line, both and their join in the vocabulary.
    /// A pair written twice keeps only its later line, as HF's <c>tokenizers</c> (its merge map is built line by line, the
    /// later rank overwriting the earlier); Microsoft.ML.Tokenizers would throw "An item with the same key…".
    /// </summary>
    public static List<string> ReadMerges(byte[] text, IReadOnlyDictionary<string, int> vocabulary, string source)
    {
        string where = $"merges.txt in '{source}'";
        var merges = new List<string>();
        var lines = new UTF8Encoding(false, throwOnInvalidBytes: false).GetString(text).Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (line.Length == 0 || line.StartsWith("#version", StringComparison.Ordinal)) continue;
            var parts = line.Split(' ');
            if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
                throw new ArgumentException($"{where}, line {i + 1}: '{Shorten(line)}' is not two tokens separated by one space.", nameof(source));
            foreach (var token in new[] { parts[0], parts[1], parts[0] + parts[1] })
                if (!vocabulary.ContainsKey(token))
                    throw new ArgumentException($"{where}, line {i + 1}: merging '{Shorten(parts[0])}' and '{Shorten(parts[1])}' needs " +
                        $"'{Shorten(token)}', which is not in vocab.json (the files do not belong together, or one is damaged).", nameof(source));
            merges.Add(line);
        }
        if (merges.Count == 0)
            throw new ArgumentException($"{where} has no merges: a byte-level BPE tokenizer would split every word into single bytes.", nameof(source));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var lastOfEachPair = merges.AsEnumerable().Reverse().Where(seen.Add).Reverse().ToList();   // ranks keep their order
        return lastOfEachPair;
    }

    /// <summary>Refuses a vocabulary whose largest id is outside the model's embedding matrix (<c>vocab_size</c> rows).</summary>
    public static void RequireIdsWithin(IReadOnlyDictionary<string, int> vocabulary, int vocabSize, string source)
    {
        var (token, id) = vocabulary.MaxBy(kv => kv.Value);
        if (id >= vocabSize)
            throw new InvalidOperationException($"vocab.json in '{source}': token '{Shorten(token)}' has id {id}, outside the model's " +
                $"embedding matrix (config.json says vocab_size = {vocabSize}).");
    }

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
