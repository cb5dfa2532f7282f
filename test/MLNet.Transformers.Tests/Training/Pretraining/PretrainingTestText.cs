using MLNet.Transformers.Training.Pretraining;

namespace MLNet.Transformers.Tests.Training.Pretraining;

/// <summary>
/// Test helpers: the first lines of WikiText-2 valid, and a trivial tokenizer over a vocabulary built from them.
/// Words longer than 4 characters are cut into 3-character pieces; the pieces after the first are "##" continuations,
/// which gives whole-word masking something to work with. "&lt;unk&gt;" maps to [UNK].
/// </summary>
internal sealed class PretrainingTestText
{
    public static readonly SpecialTokenIds SpecialsWithoutVocabulary = new(Pad: 0, Unk: 1, Cls: 2, Sep: 3, Mask: 4, VocabularySize: 5);

    private readonly Dictionary<string, int> _ids = new() { ["[PAD]"] = 0, ["[UNK]"] = 1, ["[CLS]"] = 2, ["[SEP]"] = 3, ["[MASK]"] = 4 };
    private readonly List<string> _tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];

    public static IReadOnlyList<string> WikiTextLines(int count) =>
        File.ReadLines(Path.Combine(AppContext.BaseDirectory, "TestData", "wikitext-2", "valid.txt")).Take(count).ToList();

    /// <summary>Documents of the first <paramref name="lineCount"/> lines, tokenized; the vocabulary grows as needed.</summary>
    public IReadOnlyList<IReadOnlyList<int[]>> TokenizedDocuments(int lineCount) =>
        PretrainingCorpus.ReadDocuments(WikiTextLines(lineCount))
            .Select(d => (IReadOnlyList<int[]>)d.Sentences.Select(Encode).ToList())
            .ToList();

    public int[] Encode(string text)
    {
        var ids = new List<int>();
        foreach (string word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (word == "<unk>") { ids.Add(1); continue; }
            if (word.Length <= 4) { ids.Add(Id(word)); continue; }
            for (int i = 0; i < word.Length; i += 3)
                ids.Add(Id((i == 0 ? "" : "##") + word.Substring(i, Math.Min(3, word.Length - i))));
        }
        return ids.ToArray();
    }

    public bool IsContinuationPiece(int id) => _tokens[id].StartsWith("##", StringComparison.Ordinal);

    /// <summary>The special ids with the vocabulary size as it is now (call after encoding).</summary>
    public SpecialTokenIds Specials => SpecialsWithoutVocabulary with { VocabularySize = _tokens.Count };

    private int Id(string token)
    {
        if (!_ids.TryGetValue(token, out int id))
        {
            id = _tokens.Count;
            _ids[token] = id;
            _tokens.Add(token);
        }
        return id;
    }
}
