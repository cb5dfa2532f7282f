using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace MLNet.Transformers.Tokenization;

/// <summary>
/// T5's SentencePiece Unigram tokenizer loaded from a Hugging Face <c>tokenizer.json</c>, giving the ids of HF's
/// <c>tokenizers</c> library: text → ids + <c>&lt;/s&gt;</c>, with the added tokens (<c>&lt;pad&gt;</c>, <c>&lt;/s&gt;</c>,
/// <c>&lt;unk&gt;</c>, the sentinels <c>&lt;extra_id_0&gt;</c> … = ids 32099 down to 32000 in t5-small) matched verbatim.
/// <para>
/// The work is done by Microsoft.ML.Tokenizers' <see cref="SentencePieceTokenizer"/>, built from <c>tokenizer.json</c> itself
/// (precompiled-charsmap normalisation, whitespace handling, Viterbi segmentation). One HF behaviour is added on top:
/// consecutive unknown characters fuse into one <c>&lt;unk&gt;</c> (HF Unigram's <c>fuse_unk</c>; Microsoft.ML.Tokenizers
/// 3.0 gives one <c>&lt;unk&gt;</c> per character).
/// Decoding follows HF's Metaspace decoder and transformers' <c>clean_up_tokenization_spaces</c>. Thread-safe.
/// </para>
/// </summary>
public sealed class T5Tokenizer
{
    /// <summary>The file this tokenizer is read from in a checkpoint directory.</summary>
    public const string FileName = "tokenizer.json";
    private static readonly Regex SentinelPattern = new(@"^<extra_id_(\d+)>$", RegexOptions.CultureInvariant);

    private readonly SentencePieceTokenizer sentencePiece;
    private readonly string[] pieces;
    private readonly HashSet<int> specialIds;
    private readonly int[] sentinelIds;
    private readonly byte[] tokenizerJson;
    private readonly string? tokenizerConfigJson;

    private T5Tokenizer(T5TokenizerJson.Parts parts, bool cleanUpTokenizationSpaces, byte[] tokenizerJson, string? tokenizerConfigJson)
    {
        this.tokenizerJson = tokenizerJson;
        this.tokenizerConfigJson = tokenizerConfigJson;
        sentencePiece = parts.SentencePiece;
        pieces = parts.Pieces;
        specialIds = parts.AddedTokens.Values.ToHashSet();
        PadId = parts.PadId;
        EosId = parts.EosId;
        UnkId = parts.UnkId;
        CleanUpTokenizationSpaces = cleanUpTokenizationSpaces;
        var sentinels = parts.AddedTokens.Select(kv => (Match: SentinelPattern.Match(kv.Key), Id: kv.Value)).Where(s => s.Match.Success)
            .ToDictionary(s => int.Parse(s.Match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), s => s.Id);
        sentinelIds = Enumerable.Range(0, sentinels.Count).Select(i => sentinels.TryGetValue(i, out var id) ? id
            : throw new ArgumentException($"The tokenizer's sentinels are not numbered 0..{sentinels.Count - 1}: <extra_id_{i}> is missing.")).ToArray();
    }

    /// <summary>Number of ids (pieces + added tokens; t5-small: 32,100 — the model's embedding may have more rows).</summary>
    public int VocabularySize => pieces.Length;
    /// <summary>Id of <c>&lt;pad&gt;</c> (also T5's decoder start token).</summary>
    public int PadId { get; }
    /// <summary>Id of <c>&lt;/s&gt;</c>, appended to every encoded text.</summary>
    public int EosId { get; }
    /// <summary>Id of <c>&lt;unk&gt;</c>.</summary>
    public int UnkId { get; }
    /// <summary>Number of sentinels <c>&lt;extra_id_N&gt;</c> (100 in T5).</summary>
    public int SentinelCount => sentinelIds.Length;
    /// <summary>Whether <see cref="Decode"/> removes spaces before punctuation by default (transformers' <c>clean_up_tokenization_spaces</c>, from tokenizer_config.json).</summary>
    public bool CleanUpTokenizationSpaces { get; }
    /// <summary>The Microsoft.ML.Tokenizers tokenizer that segments text (without &lt;/s&gt; and without unknown fusing).</summary>
    public SentencePieceTokenizer SentencePiece => sentencePiece;

    /// <summary>Id of sentinel <c>&lt;extra_id_<paramref name="index"/>&gt;</c> (T5: 32099 − index).</summary>
    public int SentinelId(int index) => index >= 0 && index < sentinelIds.Length ? sentinelIds[index]
        : throw new ArgumentOutOfRangeException(nameof(index), $"The tokenizer has {sentinelIds.Length} sentinels (<extra_id_0> … <extra_id_{sentinelIds.Length - 1}>); {index} is out of range.");

    /// <summary>The sentinel number of <paramref name="id"/>, or -1 when it is not a sentinel.</summary>
    public int SentinelIndex(int id) => Array.IndexOf(sentinelIds, id);

    /// <summary>The piece or added token of <paramref name="id"/> (e.g. "▁house", "&lt;extra_id_0&gt;").</summary>
    public string IdToToken(int id) => id >= 0 && id < pieces.Length ? pieces[id]
        : throw new ArgumentOutOfRangeException(nameof(id), $"Id {id} is outside the tokenizer's {pieces.Length} ids.");

    /// <summary>Whether <paramref name="id"/> is an added special token (pad, eos, unk, sentinels).</summary>
    public bool IsSpecial(int id) => specialIds.Contains(id);

    /// <summary>
    /// Ids of <paramref name="text"/> as HF's T5 tokenizer gives them, with <c>&lt;/s&gt;</c> appended when
    /// <paramref name="addEndOfSequence"/>. With <paramref name="maxLength"/>, the text's ids are cut so that the result
    /// (including &lt;/s&gt;) has at most that many ids, as HF's <c>truncation=True</c>.
    /// </summary>
    public IReadOnlyList<int> Encode(string text, bool addEndOfSequence = true, int? maxLength = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (maxLength is < 1) throw new ArgumentOutOfRangeException(nameof(maxLength), "maxLength must be at least 1.");
        var raw = sentencePiece.EncodeToIds(text, addBeginningOfSentence: false, addEndOfSentence: false);
        var ids = new List<int>(raw.Count + 1);
        foreach (var id in raw)
            if (!(id == UnkId && ids.Count > 0 && ids[^1] == UnkId)) ids.Add(id); // HF Unigram fuse_unk (Microsoft.ML.Tokenizers 3.0 does not)
        int keep = maxLength is { } m ? Math.Min(ids.Count, addEndOfSequence ? m - 1 : m) : ids.Count;
        if (keep < ids.Count) ids.RemoveRange(keep, ids.Count - keep);
        if (addEndOfSequence) ids.Add(EosId);
        return ids;
    }

    /// <summary>
    /// Text of <paramref name="ids"/> as transformers' <c>decode</c> gives it: pieces joined, '▁' → space, the leading
    /// space dropped; special tokens kept verbatim unless <paramref name="skipSpecialTokens"/>; spaces before punctuation
    /// removed when <paramref name="cleanUpTokenizationSpaces"/> (default: the tokenizer's setting).
    /// </summary>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false, bool? cleanUpTokenizationSpaces = null)
    {
        var text = new System.Text.StringBuilder();
        bool first = true;
        foreach (var id in ids)
        {
            if (skipSpecialTokens && specialIds.Contains(id)) continue;
            var token = IdToToken(id).Replace('▁', ' ');
            if (first && token.StartsWith(' ')) token = token[1..]; // Metaspace decoder with add_prefix_space
            first = false;
            text.Append(token);
        }
        var result = text.ToString();
        return cleanUpTokenizationSpaces ?? CleanUpTokenizationSpaces ? CleanUp(result) : result;
    }

    // transformers' PreTrainedTokenizerBase.clean_up_tokenization.
    private static string CleanUp(string s) => s.Replace(" .", ".").Replace(" ?", "?").Replace(" !", "!").Replace(" ,", ",")
        .Replace(" ' ", "'").Replace(" n't", "n't").Replace(" 'm", "'m").Replace(" 's", "'s").Replace(" 've", "'ve").Replace(" 're", "'re");

    /// <summary>Loads <c>tokenizer.json</c> (and <c>tokenizer_config.json</c> when present) from a checkpoint directory.</summary>
    public static T5Tokenizer FromDirectory(string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
            throw new FileNotFoundException($"No {FileName} in {directory}: a T5 checkpoint needs the Hugging Face tokenizer file (spiece.model alone is not supported).", path);
        bool cleanUp = true;
        var configPath = Path.Combine(directory, ConfigFileName);
        string? configJson = File.Exists(configPath) ? File.ReadAllText(configPath) : null;
        if (configJson is not null && JsonDocument.Parse(configJson).RootElement.TryGetProperty("clean_up_tokenization_spaces", out var c)
            && c.ValueKind is JsonValueKind.True or JsonValueKind.False)
            cleanUp = c.GetBoolean();
        return new(T5TokenizerJson.Read(path), cleanUp, File.ReadAllBytes(path), configJson);
    }

    /// <summary>Loads a Unigram <c>tokenizer.json</c> (T5, flan-t5) and checks that its pipeline is the one T5 uses.</summary>
    public static T5Tokenizer FromFile(string path, bool cleanUpTokenizationSpaces = true) =>
        new(T5TokenizerJson.Read(path), cleanUpTokenizationSpaces, File.ReadAllBytes(path), null);

    /// <summary>The tokenizer-config file written next to <see cref="FileName"/>.</summary>
    public const string ConfigFileName = "tokenizer_config.json";

    /// <summary>
    /// Writes <c>tokenizer.json</c> exactly as it was read, and <c>tokenizer_config.json</c> (the one read, or a minimal
    /// T5 one), so HF's <c>AutoTokenizer</c> and <see cref="FromDirectory"/> load the folder.
    /// </summary>
    public void Save(string directory)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllBytes(Path.Combine(directory, FileName), tokenizerJson);
        var config = tokenizerConfigJson ?? JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["tokenizer_class"] = "T5Tokenizer", ["eos_token"] = "</s>", ["pad_token"] = "<pad>", ["unk_token"] = "<unk>",
            ["extra_ids"] = SentinelCount, ["clean_up_tokenization_spaces"] = CleanUpTokenizationSpaces,
        }, new JsonSerializerOptions { WriteIndented = true });
        File.WriteAllText(Path.Combine(directory, ConfigFileName), config);
    }
}
