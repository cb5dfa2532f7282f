using System.Globalization;
using System.Text;

namespace MLNet.Transformers.Tokenization;

/// <summary>A pre-token: its text after normalisation and the span of the original string it came from.</summary>
/// <param name="Text">Normalised text (lower-cased / accent-stripped as configured).</param>
/// <param name="Start">Start offset in the original string.</param>
/// <param name="End">End offset (exclusive) in the original string.</param>
/// <param name="IsSpecial">True for a special token such as [MASK] written literally in the text.</param>
internal readonly record struct PreToken(string Text, int Start, int End, bool IsSpecial);

/// <summary>
/// Hugging Face's <c>BasicTokenizer</c> (transformers <c>tokenization_bert.py</c>), re-implemented so that every
/// pre-token keeps offsets into the ORIGINAL string: Microsoft.ML.Tokenizers' BertTokenizer (2.0.1, and still 3.0.0)
/// reports offsets into its normalised text, which shifts after CJK characters ("Hello 東京 world": 東 at 7-8 instead of
/// 6-7) and removed control characters.
/// Steps, as HF: literal special tokens are kept whole; control characters, U+0000 and U+FFFD are dropped; whitespace
/// splits; CJK ideographs become single tokens; lower-casing and NFD accent stripping when configured; punctuation splits.
/// </summary>
internal sealed class BasicTokenizer
{
    private readonly bool lowerCase;
    private readonly bool stripAccents;
    private readonly bool tokenizeChineseChars;
    private readonly string[] specialTokens;

    public BasicTokenizer(bool lowerCase, bool stripAccents, bool tokenizeChineseChars, IEnumerable<string> specialTokens)
    {
        this.lowerCase = lowerCase;
        this.stripAccents = stripAccents;
        this.tokenizeChineseChars = tokenizeChineseChars;
        this.specialTokens = specialTokens.OrderByDescending(s => s.Length).ToArray();
    }

    /// <summary>Splits <paramref name="text"/> into pre-tokens with original offsets.</summary>
    public List<PreToken> Tokenize(string text)
    {
        var result = new List<PreToken>();
        int segmentStart = 0;
        for (int i = 0; i < text.Length;)
        {
            var special = specialTokens.FirstOrDefault(s => string.CompareOrdinal(text, i, s, 0, s.Length) == 0);
            if (special is null) { i++; continue; }
            TokenizeSegment(text, segmentStart, i, result);
            result.Add(new PreToken(special, i, i + special.Length, IsSpecial: true));
            i += special.Length;
            segmentStart = i;
        }
        TokenizeSegment(text, segmentStart, text.Length, result);
        return result;
    }

    // One run of text without special tokens: whitespace/CJK/punctuation splits, normalising each word.
    private void TokenizeSegment(string text, int start, int end, List<PreToken> result)
    {
        int wordStart = -1;
        for (int i = start; i < end;)
        {
            int cp = CodePointAt(text, i, out int width);
            bool drop = cp == 0 || cp == 0xFFFD || IsControl(cp);
            bool split = IsWhitespace(cp) || drop;
            bool alone = !split && ((tokenizeChineseChars && IsChinese(cp)) || IsPunctuation(cp));
            if (split || alone)
            {
                if (wordStart >= 0) EmitWord(text, wordStart, i, result);
                wordStart = -1;
                if (alone) EmitWord(text, i, i + width, result);
            }
            else if (wordStart < 0) wordStart = i;
            i += width;
        }
        if (wordStart >= 0) EmitWord(text, wordStart, end, result);
    }

    // Normalises a word; HF splits punctuation after normalisation, but normalisation never creates or removes
    // punctuation here (it only lower-cases and removes combining marks), so splitting first is equivalent.
    private void EmitWord(string text, int start, int end, List<PreToken> result)
    {
        var word = ReplaceInvalidCodePoints(text[start..end]);
        if (lowerCase) word = word.ToLowerInvariant();
        if (stripAccents) word = StripAccents(word);
        if (word.Length > 0) result.Add(new PreToken(word, start, end, IsSpecial: false));
    }

    // string.Normalize throws on lone surrogates and on U+FFFE/U+FFFF, which .NET strings can hold. Python's NFD keeps
    // them and HF's WordPiece then finds no piece for the word, so it becomes [UNK]; U+FFFD (what such text turns into
    // once written to a UTF-8 file) gives the same [UNK] and normalises. Same length, so offsets are unchanged.
    internal static string ReplaceInvalidCodePoints(string word)
    {
        char[]? fixedWord = null;
        for (int i = 0; i < word.Length; i++)
        {
            char c = word[i];
            bool valid = c < 0xD800 || (c > 0xDFFF && c < 0xFFFE)
                || (char.IsHighSurrogate(c) && i + 1 < word.Length && char.IsLowSurrogate(word[i + 1]));
            if (char.IsHighSurrogate(c) && valid) { i++; continue; }
            if (valid) continue;
            fixedWord ??= word.ToCharArray();
            fixedWord[i] = '\uFFFD';
        }
        return fixedWord is null ? word : new string(fixedWord);
    }

    // The code point at i (a lone surrogate counts as itself) and its UTF-16 width.
    private static int CodePointAt(string s, int i, out int width)
    {
        if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
        {
            width = 2;
            return char.ConvertToUtf32(s[i], s[i + 1]);
        }
        width = 1;
        return s[i];
    }

    private static string StripAccents(string word)
    {
        var decomposed = word.Normalize(NormalizationForm.FormD);
        var sb = new StringBuilder(decomposed.Length);
        foreach (var ch in decomposed)
            if (CharUnicodeInfo.GetUnicodeCategory(ch) != UnicodeCategory.NonSpacingMark) sb.Append(ch);
        return sb.ToString();
    }

    // HF _is_whitespace: space, \t, \n, \r and category Zs.
    private static bool IsWhitespace(int cp) =>
        cp is ' ' or '\t' or '\n' or '\r' || CharUnicodeInfo.GetUnicodeCategory(cp) == UnicodeCategory.SpaceSeparator;

    // HF _is_control: categories Cc and Cf, except \t \n \r (which count as whitespace).
    private static bool IsControl(int cp)
    {
        if (cp is '\t' or '\n' or '\r') return false;
        var c = CharUnicodeInfo.GetUnicodeCategory(cp);
        return c is UnicodeCategory.Control or UnicodeCategory.Format;
    }

    // HF _is_punctuation: all non-letter/number ASCII (33-47, 58-64, 91-96, 123-126) and every Unicode P* category.
    internal static bool IsPunctuation(int cp)
    {
        if (cp is >= 33 and <= 47 or >= 58 and <= 64 or >= 91 and <= 96 or >= 123 and <= 126) return true;
        return CharUnicodeInfo.GetUnicodeCategory(cp) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
            or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;
    }

    // HF _is_chinese_char: the CJK Unified Ideographs blocks (not Hiragana/Katakana/Hangul, which are words of letters).
    private static bool IsChinese(int cp) =>
        cp is >= 0x4E00 and <= 0x9FFF or >= 0x3400 and <= 0x4DBF or >= 0x20000 and <= 0x2A6DF or >= 0x2A700 and <= 0x2B73F
            or >= 0x2B740 and <= 0x2B81F or >= 0x2B820 and <= 0x2CEAF or >= 0xF900 and <= 0xFAFF or >= 0x2F800 and <= 0x2FA1F;
}
