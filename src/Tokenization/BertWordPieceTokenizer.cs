using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.Tokenizers;

namespace MLNet.Transformers.Tokenization;

/// <summary>
/// BERT's WordPiece tokenizer, giving the same ids as Hugging Face's <c>BertTokenizer</c>: HF's basic tokenization
/// (see <see cref="BasicTokenizer"/>) with offsets into the original text, then greedy longest-match-first WordPiece
/// from Microsoft.ML.Tokenizers' <see cref="WordPieceTokenizer"/>. Immutable and thread-safe.
/// </summary>
public sealed class BertWordPieceTokenizer : IEncoderTokenizer
{
    private const int MaxInputCharsPerWord = 100; // HF: longer words become [UNK]
    private readonly string[] vocabulary;
    private readonly Dictionary<string, int> ids;
    private readonly WordPieceTokenizer wordPiece;
    private readonly BasicTokenizer basic;
    private readonly HashSet<int> specialIds;

    private BertWordPieceTokenizer(IReadOnlyList<string> vocabulary, bool lowerCase, bool? stripAccents, bool tokenizeChineseChars, string source)
    {
        this.vocabulary = vocabulary.ToArray();
        ids = new Dictionary<string, int>(vocabulary.Count);
        // HF's load_vocab fills an OrderedDict token → line index, so the LATER of duplicate lines wins for token → id.
        for (int i = 0; i < vocabulary.Count; i++) ids[vocabulary[i] ?? throw new ArgumentException($"Vocabulary {source} has a null token at id {i}.")] = i;
        int Require(string token) => ids.TryGetValue(token, out var id) ? id
            : throw new ArgumentException($"Vocabulary {source} has no {token} token; a BERT vocabulary needs [PAD], [UNK], [CLS], [SEP] and [MASK].");
        PadTokenId = Require("[PAD]");
        UnkTokenId = Require("[UNK]");
        ClsTokenId = Require("[CLS]");
        SepTokenId = Require("[SEP]");
        MaskTokenId = Require("[MASK]");
        specialIds = [PadTokenId, UnkTokenId, ClsTokenId, SepTokenId, MaskTokenId];
        LowerCase = lowerCase;
        StripAccents = stripAccents ?? lowerCase; // HF: strip_accents None follows do_lower_case
        TokenizeChineseChars = tokenizeChineseChars;
        basic = new BasicTokenizer(lowerCase, StripAccents, tokenizeChineseChars, ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]);
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(string.Join("\n", WordPieceView(this.vocabulary, ids))));
        wordPiece = WordPieceTokenizer.Create(stream, new WordPieceOptions { MaxInputCharsPerWord = MaxInputCharsPerWord });
    }

    // Microsoft.ML.Tokenizers' WordPieceTokenizer (2.0.1, and still 3.0.0) numbers tokens by line and refuses duplicate lines. Give it the same lines
    // with every line HF cannot reach (an earlier duplicate, or an empty line) replaced by a unique placeholder that basic
    // tokenization never produces (it removes U+0000), so its ids stay line numbers and lookups agree with HF.
    private static IEnumerable<string> WordPieceView(string[] vocabulary, Dictionary<string, int> ids) =>
        vocabulary.Select((token, i) => token.Length > 0 && ids[token] == i && !token.Contains('\n') ? token : $"\0unreachable{i}");

    /// <summary>Loads <c>vocab.txt</c> and, if present, <c>tokenizer_config.json</c> (do_lower_case, strip_accents, tokenize_chinese_chars) from a checkpoint folder.</summary>
    /// <exception cref="ArgumentException">vocab.txt is missing or empty, lacks a special token, or tokenizer_config.json is invalid.
    /// Duplicate lines are accepted as HF accepts them (the later line wins for token → id).</exception>
    public static BertWordPieceTokenizer FromDirectory(string checkpointDirectory)
    {
        var vocabPath = Path.Combine(checkpointDirectory, "vocab.txt");
        if (!File.Exists(vocabPath)) throw new ArgumentException($"No vocab.txt in '{checkpointDirectory}' (looked for {vocabPath}).", nameof(checkpointDirectory));
        bool lower = true, chinese = true;
        bool? strip = null;
        var configPath = Path.Combine(checkpointDirectory, "tokenizer_config.json");
        if (File.Exists(configPath))
        {
            try
            {
                var config = JsonNode.Parse(File.ReadAllText(configPath)) as JsonObject
                    ?? throw new ArgumentException($"{configPath} is not a JSON object.");
                lower = config["do_lower_case"]?.GetValue<bool>() ?? true;
                strip = config["strip_accents"]?.GetValue<bool>();
                chinese = config["tokenize_chinese_chars"]?.GetValue<bool>() ?? true;
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
            {
                throw new ArgumentException($"{configPath} is not valid: {e.Message}", nameof(checkpointDirectory), e);
            }
        }
        return new BertWordPieceTokenizer(ReadVocabulary(vocabPath), lower, strip, chinese, vocabPath);
    }

    /// <summary>Loads a <c>vocab.txt</c> (one token per line; the line number is the id).</summary>
    public static BertWordPieceTokenizer FromVocabulary(string vocabPath, bool lowerCase = true, bool? stripAccents = null, bool tokenizeChineseChars = true)
    {
        if (!File.Exists(vocabPath)) throw new ArgumentException($"Vocabulary file '{vocabPath}' does not exist.", nameof(vocabPath));
        return new BertWordPieceTokenizer(ReadVocabulary(vocabPath), lowerCase, stripAccents, tokenizeChineseChars, vocabPath);
    }

    /// <summary>Builds a tokenizer over an in-memory vocabulary (index = id).</summary>
    public static BertWordPieceTokenizer FromVocabulary(IReadOnlyList<string> vocabulary, bool lowerCase = true, bool? stripAccents = null, bool tokenizeChineseChars = true)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        return new BertWordPieceTokenizer(vocabulary, lowerCase, stripAccents, tokenizeChineseChars, "(in memory)");
    }

    private static string[] ReadVocabulary(string path) =>
        File.ReadAllLines(path, Encoding.UTF8).Select(l => l.TrimEnd('\r', '\n')).ToArray() is { Length: > 0 } v ? v
            : throw new ArgumentException($"Vocabulary file '{path}' is empty.", nameof(path));

    /// <summary>Whether text is lower-cased before WordPiece ("uncased" models).</summary>
    public bool LowerCase { get; }
    /// <summary>Whether accents are stripped (NFD, combining marks removed).</summary>
    public bool StripAccents { get; }
    /// <summary>Whether CJK ideographs are split into single-character tokens.</summary>
    public bool TokenizeChineseChars { get; }
    /// <summary>Number of lines of the vocabulary (the model's embedding rows; duplicate lines count, as in the embedding matrix).</summary>
    public int VocabularySize => vocabulary.Length;
    /// <summary>The vocabulary lines; index = id (saved back unchanged, duplicates included).</summary>
    public IReadOnlyList<string> Vocabulary => vocabulary;
    /// <summary>Id of [CLS].</summary>
    public int ClsTokenId { get; }
    /// <summary>Id of [SEP].</summary>
    public int SepTokenId { get; }
    /// <summary>Id of [PAD].</summary>
    public int PadTokenId { get; }
    /// <summary>Id of [MASK].</summary>
    public int MaskTokenId { get; }
    /// <summary>Id of [UNK].</summary>
    public int UnkTokenId { get; }

    /// <summary>
    /// The token with id <paramref name="id"/>. As in HF's <c>ids_to_tokens</c> (built from token → id), the earlier line
    /// of a duplicated token has no token of its own and reads as [UNK].
    /// </summary>
    public string IdToToken(int id)
    {
        if ((uint)id >= (uint)vocabulary.Length)
            throw new ArgumentOutOfRangeException(nameof(id), id, $"Token id must be in [0, {vocabulary.Length}).");
        return ids[vocabulary[id]] == id ? vocabulary[id] : vocabulary[UnkTokenId];
    }

    /// <summary>The id of <paramref name="token"/>, or the [UNK] id when it is not in the vocabulary.</summary>
    public int TokenToId(string token) => ids.TryGetValue(token, out var id) ? id : UnkTokenId;

    /// <summary>Whether <paramref name="id"/> is [PAD], [UNK], [CLS], [SEP] or [MASK].</summary>
    public bool IsSpecialToken(int id) => specialIds.Contains(id);

    /// <summary>WordPiece ids of a text without special tokens (what pretraining packs into sequences).</summary>
    public int[] Tokenize(string text) => Pieces(text).Select(p => p.Id).ToArray();

    /// <summary>
    /// WordPiece ids of a text without special tokens, each with its character span in the original text and whether it
    /// starts a word (a piece of the pre-tokenizer: text split on whitespace and punctuation, each CJK character alone).
    /// </summary>
    public IReadOnlyList<(int Id, int Start, int End, bool WordStart)> TokenizeWithOffsets(string text) =>
        Pieces(text).Select(p => (p.Id, p.Start, p.End, p.WordStart)).ToList();

    /// <summary>HF's <c>decode([id])</c> of one WordPiece token: the vocabulary string itself ("##" kept, as HF keeps it on a first token).</summary>
    public string TokenText(int id) => IdToToken(id);

    /// <inheritdoc/>
    public PairTemplate PairTemplate => new([ClsTokenId], [SepTokenId], [SepTokenId], SecondTypeId: 1);

    /// <summary>Encodes a text, or a pair, with special tokens, truncation to <paramref name="maxLength"/> (longest-first for pairs, as HF) and optional padding.</summary>
    public EncodedText Encode(string text, string? textPair = null, int maxLength = 512, bool padToMaxLength = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        int specials = textPair is null ? 2 : 3;
        if (maxLength < specials + 1)
            throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, $"maxLength must leave room for the {specials} special tokens and at least one token.");
        var a = Pieces(text);
        var b = textPair is null ? null : Pieces(textPair);
        // HF's longest_first: drop one token at a time from the longer sequence, from the pair on a tie.
        int lenA = a.Count, lenB = b?.Count ?? 0;
        while (lenA + lenB + specials > maxLength)
        {
            if (b is null || lenA > lenB) lenA--; else lenB--;
        }

        var tokens = new List<(int Id, int Type, int Seq, int Start, int End, bool WordStart)> { (ClsTokenId, 0, -1, 0, 0, false) };
        tokens.AddRange(a.Take(lenA).Select(p => (p.Id, 0, 0, p.Start, p.End, p.WordStart)));
        tokens.Add((SepTokenId, 0, -1, 0, 0, false));
        if (b is not null)
        {
            tokens.AddRange(b.Take(lenB).Select(p => (p.Id, 1, 1, p.Start, p.End, p.WordStart)));
            tokens.Add((SepTokenId, 1, -1, 0, 0, false));
        }
        int length = padToMaxLength ? maxLength : tokens.Count;
        return Build(tokens, length);
    }

    /// <summary>Encodes a batch and pads every row to the longest one.</summary>
    public EncodedTextBatch EncodeBatch(IReadOnlyList<string> texts, IReadOnlyList<string>? pairs, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (pairs is not null && pairs.Count != texts.Count)
            throw new ArgumentException($"{pairs.Count} pair texts for {texts.Count} texts.", nameof(pairs));
        return EncodedTextBatches.Pad(texts.Select((t, i) => Encode(t, pairs?[i], maxLength)).ToList(), PadTokenId);
    }

    /// <summary>Text of <paramref name="tokenIds"/>: "##" pieces joined to their word, special tokens skipped.</summary>
    public string Decode(IEnumerable<int> tokenIds)
    {
        var sb = new StringBuilder();
        foreach (var id in tokenIds)
        {
            if (IsSpecialToken(id) && id != UnkTokenId) continue;
            var token = IdToToken(id);
            if (token.StartsWith("##", StringComparison.Ordinal)) sb.Append(token, 2, token.Length - 2);
            else { if (sb.Length > 0) sb.Append(' '); sb.Append(token); }
        }
        return sb.ToString();
    }

    /// <summary>Writes <c>vocab.txt</c> and <c>tokenizer_config.json</c> into <paramref name="directory"/>.</summary>
    public void SaveTo(string directory)
    {
        Directory.CreateDirectory(directory);
        SaveVocabulary(Path.Combine(directory, "vocab.txt"));
        SaveConfig(Path.Combine(directory, "tokenizer_config.json"));
    }

    /// <summary>Writes the vocabulary as <c>vocab.txt</c> (one token per line).</summary>
    public void SaveVocabulary(string path) => File.WriteAllText(path, string.Join("\n", vocabulary) + "\n", new UTF8Encoding(false));

    /// <summary>Writes a Hugging Face <c>tokenizer_config.json</c> with this tokenizer's settings.</summary>
    public void SaveConfig(string path) => File.WriteAllText(path, new JsonObject
    {
        ["tokenizer_class"] = "BertTokenizer",
        ["do_lower_case"] = LowerCase,
        ["strip_accents"] = StripAccents,
        ["tokenize_chinese_chars"] = TokenizeChineseChars,
        ["unk_token"] = "[UNK]", ["sep_token"] = "[SEP]", ["pad_token"] = "[PAD]", ["cls_token"] = "[CLS]", ["mask_token"] = "[MASK]",
    }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

    private readonly record struct Piece(int Id, int Start, int End, bool WordStart);

    // Basic tokenization, then WordPiece on each pre-token; offsets map back into the original text.
    private List<Piece> Pieces(string text)
    {
        var pieces = new List<Piece>();
        foreach (var pre in basic.Tokenize(text))
        {
            if (pre.IsSpecial) { pieces.Add(new Piece(ids[pre.Text], pre.Start, pre.End, true)); continue; }
            if (pre.Text.Length > MaxInputCharsPerWord) { pieces.Add(new Piece(UnkTokenId, pre.Start, pre.End, true)); continue; }
            var word = wordPiece.EncodeToTokens(pre.Text, out _, considerPreTokenization: false, considerNormalization: false);
            // Offsets inside the word are exact when normalisation kept its length (the common case); otherwise every
            // piece reports the whole word's span.
            bool sameLength = pre.Text.Length == pre.End - pre.Start;
            for (int i = 0; i < word.Count; i++)
            {
                var (start, end) = sameLength
                    ? (pre.Start + word[i].Offset.Start.Value, pre.Start + word[i].Offset.End.Value)
                    : (pre.Start, pre.End);
                pieces.Add(new Piece(word[i].Id, start, end, i == 0));
            }
        }
        return pieces;
    }

    private static EncodedText Build(List<(int Id, int Type, int Seq, int Start, int End, bool WordStart)> tokens, int length)
    {
        var e = new EncodedText(new int[length], new int[length], new int[length], Enumerable.Repeat(-1, length).ToArray(), new (int, int)[length], new bool[length]);
        for (int i = 0; i < tokens.Count; i++)
        {
            var t = tokens[i];
            e.InputIds[i] = t.Id; e.TokenTypeIds[i] = t.Type; e.AttentionMask[i] = 1; e.SequenceIds[i] = t.Seq;
            e.Offsets[i] = (t.Start, t.End); e.IsWordStart[i] = t.WordStart;
        }
        return e;
    }
}
