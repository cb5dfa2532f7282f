using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.Tokenizers;

namespace MLNet.Transformers.Tokenization;

/// <summary>
/// RoBERTa's tokenizer (HF <c>RobertaTokenizerFast</c>): GPT-2's byte-level BPE (<see cref="ByteLevelBpeModel"/> after
/// GPT-2's pre-tokenizer regex, as <see cref="Gpt2BpeTokenizer"/>) over <c>vocab.json</c> +
/// <c>merges.txt</c>, with <c>&lt;s&gt; &lt;pad&gt; &lt;/s&gt; &lt;unk&gt; &lt;mask&gt;</c> looked up in the vocabulary.
/// Single texts are <c>&lt;s&gt; A &lt;/s&gt;</c>, pairs <c>&lt;s&gt; A &lt;/s&gt;&lt;/s&gt; B &lt;/s&gt;</c>, every type id 0.
/// Special tokens written in the text are those tokens; <c>&lt;mask&gt;</c> swallows the spaces before it (HF's lstrip).
/// Offsets point into the original text with surrounding spaces trimmed (HF's trim_offsets).
/// </summary>
public sealed class RobertaBpeTokenizer : IEncoderTokenizer
{
    private readonly ByteLevelBpeModel bpe;
    private readonly Dictionary<int, string> tokensById;
    private readonly Dictionary<string, int> vocabulary;
    private readonly byte[] vocabularyJson;
    private readonly byte[] mergesText;
    private readonly (string Text, int Id)[] specials;

    private RobertaBpeTokenizer(byte[] vocabularyJson, byte[] mergesText, bool addPrefixSpace, string source)
    {
        this.vocabularyJson = vocabularyJson;
        this.mergesText = mergesText;
        var vocabulary = ByteLevelBpeFiles.ReadVocabulary(vocabularyJson, source);
        int Require(string token) => vocabulary.TryGetValue(token, out var id) ? id
            : throw new ArgumentException($"vocab.json in '{source}' has no {token} token; a RoBERTa vocabulary needs <s>, <pad>, </s>, <unk> and <mask>.");
        BosTokenId = Require("<s>"); PadTokenId = Require("<pad>"); EosTokenId = Require("</s>"); UnkTokenId = Require("<unk>"); MaskTokenId = Require("<mask>");
        specials = [("<mask>", MaskTokenId), ("<pad>", PadTokenId), ("<unk>", UnkTokenId), ("</s>", EosTokenId), ("<s>", BosTokenId)];
        AddPrefixSpace = addPrefixSpace;
        VocabularySize = vocabulary.Count;
        tokensById = vocabulary.ToDictionary(kv => kv.Value, kv => kv.Key);
        this.vocabulary = vocabulary;
        var merges = ByteLevelBpeFiles.ReadMerges(mergesText, vocabulary, source);
        bpe = new ByteLevelBpeModel(vocabulary, merges, unknownToken: "<unk>");
    }

    /// <summary>Loads <c>vocab.json</c>, <c>merges.txt</c> and, if present, <c>tokenizer_config.json</c> (add_prefix_space) from a checkpoint folder.</summary>
    public static RobertaBpeTokenizer FromDirectory(string directory)
    {
        var vocabulary = Path.Combine(directory, "vocab.json");
        var merges = Path.Combine(directory, "merges.txt");
        if (!File.Exists(vocabulary) || !File.Exists(merges))
            throw new FileNotFoundException($"'{directory}' needs vocab.json and merges.txt (RoBERTa byte-level BPE); tokenizer.json alone is not supported.",
                File.Exists(vocabulary) ? merges : vocabulary);
        bool addPrefixSpace = false;
        var configPath = Path.Combine(directory, "tokenizer_config.json");
        if (File.Exists(configPath))
        {
            try { addPrefixSpace = JsonNode.Parse(File.ReadAllText(configPath))?["add_prefix_space"]?.GetValue<bool>() ?? false; }
            catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
            {
                throw new ArgumentException($"{configPath} is not valid: {e.Message}", nameof(directory), e);
            }
        }
        return new RobertaBpeTokenizer(File.ReadAllBytes(vocabulary), File.ReadAllBytes(merges), addPrefixSpace, directory);
    }

    /// <summary>Creates a tokenizer from the contents of <c>vocab.json</c> and <c>merges.txt</c>.</summary>
    public static RobertaBpeTokenizer FromContents(byte[] vocabularyJson, byte[] mergesText, bool addPrefixSpace = false) =>
        new(vocabularyJson, mergesText, addPrefixSpace, "memory");

    /// <inheritdoc/>
    public int VocabularySize { get; }
    /// <summary>Whether a space is put before each text that does not start with one (HF add_prefix_space).</summary>
    public bool AddPrefixSpace { get; }
    /// <summary>Refuses ids outside a model's embedding matrix of <paramref name="vocabSize"/> rows, naming vocab.json in <paramref name="source"/>.</summary>
    internal void RequireIdsWithin(int vocabSize, string source) => ByteLevelBpeFiles.RequireIdsWithin(vocabulary, vocabSize, source);

    /// <summary>Id of &lt;s&gt;.</summary>
    public int BosTokenId { get; }
    /// <summary>Id of &lt;pad&gt;.</summary>
    public int PadTokenId { get; }
    /// <summary>Id of &lt;/s&gt;.</summary>
    public int EosTokenId { get; }
    /// <summary>Id of &lt;unk&gt;.</summary>
    public int UnkTokenId { get; }
    /// <summary>Id of &lt;mask&gt;.</summary>
    public int MaskTokenId { get; }

    /// <summary>The vocabulary string of an id (byte-level alphabet, e.g. "Ġthe").</summary>
    public string IdToToken(int id) => tokensById.TryGetValue(id, out var t) ? t
        : throw new ArgumentOutOfRangeException(nameof(id), id, $"Token id is not in the vocabulary ({VocabularySize} tokens).");

    /// <summary>HF's <c>decode([id])</c>: a special token's own string, else the token's bytes as text (e.g. " Paris" for "ĠParis").</summary>
    public string TokenText(int id) => specials.Any(s => s.Id == id) ? IdToToken(id) : bpe.Tokenizer.Decode([id]) ?? "";

    /// <summary>Ids without special tokens, each with its (trimmed) character span and whether it starts a pre-tokenizer word (a GPT-2 regex piece).</summary>
    public IReadOnlyList<(int Id, int Start, int End, bool WordStart)> TokenizeWithOffsets(string text) =>
        Pieces(text).Select(p => (p.Id, p.Start, p.End, p.WordStart)).ToList();

    /// <inheritdoc/>
    public PairTemplate PairTemplate => new([BosTokenId], [EosTokenId, EosTokenId], [EosTokenId], SecondTypeId: 0);

    /// <summary>The text of <paramref name="ids"/> (bytes joined, UTF-8 decoded), special tokens skipped.</summary>
    public string Decode(IEnumerable<int> ids) =>
        bpe.Tokenizer.Decode(ids.Where(id => id != BosTokenId && id != EosTokenId && id != PadTokenId && id != MaskTokenId)) ?? "";

    /// <summary>Ids of a text without the sentence's special tokens.</summary>
    public int[] Tokenize(string text) => Pieces(text).Select(p => p.Id).ToArray();

    /// <inheritdoc/>
    public EncodedText Encode(string text, string? textPair = null, int maxLength = 512, bool padToMaxLength = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        int specialCount = textPair is null ? 2 : 4;
        if (maxLength < specialCount + 1)
            throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, $"maxLength must leave room for the {specialCount} special tokens and at least one token.");
        var a = Pieces(text);
        var b = textPair is null ? null : Pieces(textPair);
        int lenA = a.Count, lenB = b?.Count ?? 0;
        while (lenA + lenB + specialCount > maxLength)   // HF's longest_first: one token at a time from the longer, the pair on a tie
        {
            if (b is null || lenA > lenB) lenA--; else lenB--;
        }
        var tokens = new List<(int Id, int Seq, int Start, int End, bool WordStart)> { (BosTokenId, -1, 0, 0, false) };
        tokens.AddRange(a.Take(lenA).Select(p => (p.Id, 0, p.Start, p.End, p.WordStart)));
        tokens.Add((EosTokenId, -1, 0, 0, false));
        if (b is not null)
        {
            tokens.Add((EosTokenId, -1, 0, 0, false));
            tokens.AddRange(b.Take(lenB).Select(p => (p.Id, 1, p.Start, p.End, p.WordStart)));
            tokens.Add((EosTokenId, -1, 0, 0, false));
        }
        int length = padToMaxLength ? Math.Max(maxLength, tokens.Count) : tokens.Count;
        var e = new EncodedText(Enumerable.Repeat(PadTokenId, length).ToArray(), new int[length], new int[length],
            Enumerable.Repeat(-1, length).ToArray(), new (int, int)[length], new bool[length]);
        for (int i = 0; i < tokens.Count; i++)
        {
            var t = tokens[i];
            e.InputIds[i] = t.Id; e.AttentionMask[i] = 1; e.SequenceIds[i] = t.Seq; e.Offsets[i] = (t.Start, t.End); e.IsWordStart[i] = t.WordStart;
        }
        return e;
    }

    /// <inheritdoc/>
    public EncodedTextBatch EncodeBatch(IReadOnlyList<string> texts, IReadOnlyList<string>? pairs, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (pairs is not null && pairs.Count != texts.Count) throw new ArgumentException($"{pairs.Count} pair texts for {texts.Count} texts.", nameof(pairs));
        return EncodedTextBatches.Pad(texts.Select((t, i) => Encode(t, pairs?[i], maxLength)).ToList(), PadTokenId);
    }

    /// <inheritdoc/>
    public void SaveTo(string directory)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllBytes(Path.Combine(directory, "vocab.json"), vocabularyJson);
        File.WriteAllBytes(Path.Combine(directory, "merges.txt"), mergesText);
        File.WriteAllText(Path.Combine(directory, "tokenizer_config.json"), new JsonObject
        {
            ["tokenizer_class"] = "RobertaTokenizer",
            ["add_prefix_space"] = AddPrefixSpace,
            ["bos_token"] = "<s>", ["eos_token"] = "</s>", ["sep_token"] = "</s>", ["cls_token"] = "<s>",
            ["unk_token"] = "<unk>", ["pad_token"] = "<pad>", ["mask_token"] = "<mask>",
        }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    private readonly record struct Piece(int Id, int Start, int End, bool WordStart);

    // Special tokens first (HF matches added tokens in the raw text), then GPT-2's regex split, then BPE on each piece.
    private List<Piece> Pieces(string text)
    {
        var pieces = new List<Piece>();
        int segmentStart = 0;
        for (int i = 0; i < text.Length;)
        {
            var match = specials.FirstOrDefault(s => string.CompareOrdinal(text, i, s.Text, 0, s.Text.Length) == 0);
            if (match.Text is null) { i++; continue; }
            int segmentEnd = i;
            if (match.Id == MaskTokenId) while (segmentEnd > segmentStart && char.IsWhiteSpace(text[segmentEnd - 1])) segmentEnd--; // lstrip
            AddSegment(text, segmentStart, segmentEnd, pieces);
            pieces.Add(new Piece(match.Id, i, i + match.Text.Length, true));
            i += match.Text.Length;
            segmentStart = i;
        }
        AddSegment(text, segmentStart, text.Length, pieces);
        return pieces;
    }

    private void AddSegment(string text, int start, int end, List<Piece> pieces)
    {
        if (end <= start) return;
        string segment = text[start..end];
        int shift = start;
        if (AddPrefixSpace && !char.IsWhiteSpace(segment[0])) { segment = " " + segment; shift--; }
        var words = Gpt2BpeTokenizer.Gpt2Split.Matches(segment).Select(m => (m.Index, m.Length));
        var tokens = new List<(int Id, int Start, int End)>();
        foreach (var (index, length) in words)
        {
            tokens.Clear();
            bpe.EncodeWord(segment.AsSpan(index, length), tokens);
            for (int k = 0; k < tokens.Count; k++)
            {
                int s = Math.Clamp(index + tokens[k].Start + shift, start, end);
                int e = Math.Clamp(index + tokens[k].End + shift, s, end);
                while (s < e && char.IsWhiteSpace(text[s])) s++;            // HF trim_offsets
                while (e > s && char.IsWhiteSpace(text[e - 1])) e--;
                pieces.Add(new Piece(tokens[k].Id, s, e, k == 0));
            }
        }
    }
}
