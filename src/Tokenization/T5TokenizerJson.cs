using System.Text.Json;
using Microsoft.ML.Tokenizers;

namespace MLNet.Transformers.Tokenization;

/// <summary>
/// Reads a Hugging Face <c>tokenizer.json</c> of the T5 kind — model Unigram, normaliser Precompiled (optionally followed
/// by HF's " {2,}" → " " replacement), pre-tokeniser [WhitespaceSplit,] Metaspace('▁', prefix on every segment),
/// post-processor "$A &lt;/s&gt;" — and builds the Microsoft.ML.Tokenizers model that reproduces it. Anything else is
/// refused with the field that differs, rather than tokenised differently from HF.
/// </summary>
internal static class T5TokenizerJson
{
    /// <summary>What <see cref="T5Tokenizer"/> is made of.</summary>
    public sealed record Parts(SentencePieceTokenizer SentencePiece, string[] Pieces, Dictionary<string, int> AddedTokens, int PadId, int EosId, int UnkId);

    public static Parts Read(string path)
    {
        try { return ReadChecked(path); }
        // A field of the wrong JSON type or missing deeper than the checks below look (e.g. a normalizer without "type").
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException or IndexOutOfRangeException)
        {
            throw new ArgumentException($"{path} is not a T5 tokenizer.json: a field is missing or of the wrong JSON type ({e.Message}).", nameof(path), e);
        }
    }

    private static Parts ReadChecked(string path)
    {
        JsonElement root;
        try { root = JsonDocument.Parse(File.ReadAllText(path)).RootElement; }
        catch (JsonException e) { throw new ArgumentException($"{path} is not valid JSON: {e.Message}", nameof(path), e); }
        void Require(bool ok, string field, string problem)
        {
            if (!ok) throw new ArgumentException($"{path}: '{field}' {problem}; only T5-style Unigram tokenizers are supported.", nameof(path));
        }

        Require(root.ValueKind == JsonValueKind.Object, "(root)", $"is {root.ValueKind}, not an object");
        foreach (var field in new[] { "model", "normalizer", "pre_tokenizer", "added_tokens" })
            Require(root.TryGetProperty(field, out _), field, "is missing");
        var model = root.GetProperty("model");
        // Older files (t5-small's) omit model.type; a Unigram vocab is a list of [piece, score] pairs.
        var modelType = model.TryGetProperty("type", out var typeElement) ? typeElement.GetString() : null;
        Require(modelType is null or "Unigram", "model.type", $"is '{modelType}', expected 'Unigram'");
        Require(model.TryGetProperty("vocab", out var vocabElement) && vocabElement.ValueKind == JsonValueKind.Array, "model.vocab", "is not a list of [piece, score] pairs");
        Require(!(model.TryGetProperty("byte_fallback", out var bf) && bf.ValueKind == JsonValueKind.True), "model.byte_fallback", "is true");
        var vocab = vocabElement.EnumerateArray().Select((e, i) =>
        {
            Require(e.ValueKind == JsonValueKind.Array && e.GetArrayLength() == 2 && e[0].ValueKind == JsonValueKind.String,
                $"model.vocab[{i}]", $"is {Shorten(e.GetRawText())}, not a [piece, score] pair");
            Require(e[1].ValueKind == JsonValueKind.Number && float.IsFinite((float)e[1].GetDouble()),
                $"model.vocab[{i}]", $"has the score {Shorten(e[1].GetRawText())}, not a finite number");
            return (Piece: e[0].GetString()!, Score: (float)e[1].GetDouble());
        }).ToList();
        Require(model.TryGetProperty("unk_id", out var unkElement) && unkElement.ValueKind == JsonValueKind.Number, "model.unk_id", "is missing");
        Require(unkElement.TryGetInt32(out int unkId) && unkId >= 0 && unkId < vocab.Count, "model.unk_id",
            $"is {unkElement.GetRawText()}, not an id of model.vocab's {vocab.Count} pieces");

        var charsmap = FindCharsmap(root.GetProperty("normalizer"), out bool otherNormalizer);
        Require(charsmap is not null && !otherNormalizer, "normalizer", "is not Precompiled (optionally with the ' {2,}' → ' ' replacement)");
        Require(IsT5Metaspace(root.GetProperty("pre_tokenizer")), "pre_tokenizer",
            "is not [WhitespaceSplit,] Metaspace('▁') adding the prefix to every segment (prepend_scheme 'first'/'never' is not supported)");

        var added = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var t in root.GetProperty("added_tokens").EnumerateArray())
            Require(added.TryAdd(t.GetProperty("content").GetString()!, t.GetProperty("id").GetInt32()), "added_tokens",
                $"lists {t.GetProperty("content").GetString()} twice");
        Require(added.TryGetValue("</s>", out int eosId), "added_tokens", "has no </s>");
        Require(added.TryGetValue("<pad>", out int padId), "added_tokens", "has no <pad>");
        foreach (var (content, id) in added)
            Require(id >= 0 && id < vocab.Count && vocab[id].Piece == content, "added_tokens", $"has {content} at id {id}, which is not that piece in model.vocab");
        Require(PostProcessorAppendsEos(root), "post_processor", "does not append </s> to a single sequence");

        // Microsoft.ML.Tokenizers 3.0 reads tokenizer.json itself and accepts T5's bos_id = -1 (2.0 read only SentencePiece
        // protobuf models and refused it, so we used to synthesise one). The checks above stay: they refuse what would tokenise
        // differently from HF.
        using var stream = File.OpenRead(path);
        var sentencePiece = SentencePieceTokenizer.CreateFromTokenizerJson(stream, addBeginningOfSentence: false, addEndOfSentence: false, specialTokens: added);
        return new Parts(sentencePiece, vocab.Select(v => v.Piece).ToArray(), added, padId, eosId, unkId);
    }

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "…";

    private static byte[]? FindCharsmap(JsonElement normalizer, out bool other)
    {
        other = false;
        var type = normalizer.GetProperty("type").GetString();
        if (type == "Precompiled") return Convert.FromBase64String(normalizer.GetProperty("precompiled_charsmap").GetString()!);
        if (type != "Sequence") { other = true; return null; }
        byte[]? charsmap = null;
        foreach (var n in normalizer.GetProperty("normalizers").EnumerateArray())
        {
            if (n.GetProperty("type").GetString() == "Precompiled") charsmap = Convert.FromBase64String(n.GetProperty("precompiled_charsmap").GetString()!);
            else if (!IsCollapseSpaces(n)) other = true;
        }
        return charsmap;
    }

    // HF's converter adds Replace(" {2,}", " ") — what SentencePiece's remove_extra_whitespaces does.
    private static bool IsCollapseSpaces(JsonElement n) =>
        n.GetProperty("type").GetString() == "Replace" && n.GetProperty("content").GetString() == " "
        && n.GetProperty("pattern").TryGetProperty("Regex", out var r) && r.GetString() == " {2,}";

    private static bool IsT5Metaspace(JsonElement pre)
    {
        var type = pre.GetProperty("type").GetString();
        if (type == "Sequence")
        {
            var list = pre.GetProperty("pretokenizers").EnumerateArray().ToList();
            return list.Count > 0 && list.Take(list.Count - 1).All(p => p.GetProperty("type").GetString() == "WhitespaceSplit") && IsT5Metaspace(list[^1]);
        }
        if (type != "Metaspace" || pre.GetProperty("replacement").GetString() != "▁") return false;
        if (pre.TryGetProperty("prepend_scheme", out var scheme)) return scheme.GetString() == "always";
        return !pre.TryGetProperty("add_prefix_space", out var prefix) || prefix.GetBoolean();
    }

    private static bool PostProcessorAppendsEos(JsonElement root)
    {
        if (!root.TryGetProperty("post_processor", out var post) || post.ValueKind != JsonValueKind.Object) return false;
        if (post.GetProperty("type").GetString() != "TemplateProcessing") return false;
        var single = post.GetProperty("single").EnumerateArray().ToList();
        return single.Count == 2 && single[0].TryGetProperty("Sequence", out _)
            && single[1].TryGetProperty("SpecialToken", out var eos) && eos.GetProperty("id").GetString() == "</s>";
    }
}
