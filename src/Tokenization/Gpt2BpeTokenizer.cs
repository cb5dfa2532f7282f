using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace MLNet.Transformers.Tokenization;

/// <summary>
/// GPT-2's byte-level BPE (HF <c>GPT2Tokenizer</c>) from <c>vocab.json</c> + <c>merges.txt</c>, through
/// Microsoft.ML.Tokenizers' byte-level <see cref="BpeTokenizer"/> with GPT-2's pre-tokenizer regex. (Its
/// <see cref="CodeGenTokenizer"/> is not used: it merges runs of spaces into CodeGen's extra tokens, ids GPT-2 does not
/// have.) Ids are equal to HF's, checked in the tests on accents, CJK, emoji, runs of spaces and newlines; words of any length
/// are merged whole, long ones in O(n log n) (<see cref="ByteLevelBpeModel"/>). No prefix space and no
/// special tokens are added (as HF's GPT-2 tokenizer); <c>&lt;|endoftext|&gt;</c> written in text is that one token.
/// The original file bytes are kept, so <see cref="Save"/> writes exactly what was loaded.
/// </summary>
public sealed class Gpt2BpeTokenizer
{
    /// <summary>GPT-2's end-of-text token, also used as beginning of text and padding.</summary>
    public const string EndOfText = "<|endoftext|>";

    // GPT-2's pre-tokenizer (openai/gpt-2 encoder.py, HF ByteLevel): contractions, letters, digits, other symbols, each with
    // an optional leading space; a run of spaces gives its last space to the following word.
    internal static readonly Regex Gpt2Split = new(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+", RegexOptions.Compiled);

    private readonly ByteLevelBpeModel bpe;
    private readonly RegexPreTokenizer preTokenizer;
    private readonly Dictionary<int, string> tokensById;
    private readonly Dictionary<string, int> vocabulary;
    private readonly byte[] vocabularyJson;
    private readonly byte[] mergesText;

    private Gpt2BpeTokenizer(byte[] vocabularyJson, byte[] mergesText, string source)
    {
        this.vocabularyJson = vocabularyJson;
        this.mergesText = mergesText;
        var vocabulary = ByteLevelBpeFiles.ReadVocabulary(vocabularyJson, source);
        if (!vocabulary.TryGetValue(EndOfText, out int eot))
            throw new ArgumentException($"vocab.json in '{source}' has no '{EndOfText}' token; GPT-2 style models need it.", nameof(source));
        EndOfTextId = eot;
        VocabularySize = vocabulary.Count;
        tokensById = vocabulary.ToDictionary(kv => kv.Value, kv => kv.Key);
        this.vocabulary = vocabulary;
        var special = new Dictionary<string, int> { [EndOfText] = eot };
        var merges = ByteLevelBpeFiles.ReadMerges(mergesText, vocabulary, source);
        bpe = new ByteLevelBpeModel(vocabulary, merges, specialTokens: special);
        preTokenizer = new RegexPreTokenizer(Gpt2Split, special);   // <|endoftext|> first, then GPT-2's words
    }

    /// <summary>Loads <c>vocab.json</c> and <c>merges.txt</c> from <paramref name="directory"/>.</summary>
    public static Gpt2BpeTokenizer FromDirectory(string directory)
    {
        var vocabulary = Path.Combine(directory, "vocab.json");
        var merges = Path.Combine(directory, "merges.txt");
        if (!File.Exists(vocabulary) || !File.Exists(merges))
            throw new FileNotFoundException($"'{directory}' needs vocab.json and merges.txt (GPT-2 byte-level BPE); tokenizer.json alone is not supported.",
                File.Exists(vocabulary) ? merges : vocabulary);
        return new Gpt2BpeTokenizer(File.ReadAllBytes(vocabulary), File.ReadAllBytes(merges), directory);
    }

    /// <summary>Creates a tokenizer from the contents of <c>vocab.json</c> and <c>merges.txt</c>.</summary>
    public static Gpt2BpeTokenizer FromContents(byte[] vocabularyJson, byte[] mergesText) => new(vocabularyJson, mergesText, "memory");

    /// <summary>Number of tokens in vocab.json.</summary>
    public int VocabularySize { get; }

    /// <summary>Refuses ids outside a model's embedding matrix of <paramref name="vocabSize"/> rows, naming vocab.json in <paramref name="source"/>.</summary>
    internal void RequireIdsWithin(int vocabSize, string source) => ByteLevelBpeFiles.RequireIdsWithin(vocabulary, vocabSize, source);

    /// <summary>Id of <c>&lt;|endoftext|&gt;</c>.</summary>
    public int EndOfTextId { get; }

    /// <summary>Token ids of <paramref name="text"/>, nothing added.</summary>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0) return [];
        var tokens = new List<(int Id, int Start, int End)>();
        foreach (var (offset, length) in preTokenizer.PreTokenize(text)) bpe.EncodeWord(text.AsSpan(offset, length), tokens);
        return tokens.Select(t => t.Id).ToArray();
    }

    /// <summary>The text of <paramref name="ids"/> (bytes joined, then UTF-8 decoded, as HF's <c>decode</c>).</summary>
    public string Decode(IEnumerable<int> ids) => bpe.Tokenizer.Decode(ids) ?? "";

    /// <summary>The vocabulary string of one id (byte-level alphabet, e.g. "Ġthe").</summary>
    public string? IdToToken(int id) => tokensById.GetValueOrDefault(id);

    /// <summary>Writes vocab.json, merges.txt and a tokenizer_config.json (GPT2Tokenizer, &lt;|endoftext|&gt; specials) to <paramref name="directory"/>.</summary>
    public void Save(string directory, int modelMaxLength)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllBytes(Path.Combine(directory, "vocab.json"), vocabularyJson);
        File.WriteAllBytes(Path.Combine(directory, "merges.txt"), mergesText);
        var config = new Dictionary<string, object>
        {
            ["model_max_length"] = modelMaxLength,
            ["tokenizer_class"] = "GPT2Tokenizer",
            ["bos_token"] = EndOfText, ["eos_token"] = EndOfText, ["unk_token"] = EndOfText,
            ["add_prefix_space"] = false,
        };
        File.WriteAllText(Path.Combine(directory, "tokenizer_config.json"), JsonSerializer.Serialize(config, new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }
}
