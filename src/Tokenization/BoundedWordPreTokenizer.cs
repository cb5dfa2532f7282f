using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace MLNet.Transformers.Tokenization;

/// <summary>
/// GPT-2's regex pre-tokenizer with one bound: a pre-token (word) longer than <see cref="MaxWordLength"/> characters is cut
/// into pieces of that length before BPE. Why: Microsoft.ML.Tokenizers' BPE merge is quadratic in a word's length (a 40,000-
/// character word took 0.2 s, a 1 MB one about two minutes), so one long run of letters in a prompt could hold a request for
/// minutes. Hugging Face's <c>tokenizers</c> merges a word of any length whole (heap-based, O(n log n)), so ids equal HF's
/// for every word up to <see cref="MaxWordLength"/> characters and may differ from HF's only inside longer ones (no natural
/// language word is that long; base64 blobs, long hex strings and repeated letters are).
/// </summary>
internal sealed class BoundedWordPreTokenizer(Regex split, IReadOnlyDictionary<string, int>? specialTokens) : PreTokenizer
{
    /// <summary>Longest pre-token given whole to BPE; longer ones are cut into pieces of this many characters.</summary>
    public const int MaxWordLength = 1000;

    private readonly RegexPreTokenizer inner = new(split, specialTokens);

    /// <inheritdoc/>
    public override IEnumerable<(int Offset, int Length)> PreTokenize(string text) =>
        string.IsNullOrEmpty(text) ? [] : Bounded(text, inner.PreTokenize(text));

    /// <inheritdoc/>
    public override IEnumerable<(int Offset, int Length)> PreTokenize(ReadOnlySpan<char> text) =>
        text.IsEmpty ? [] : PreTokenize(text.ToString());

    /// <summary><paramref name="words"/> of <paramref name="text"/>, each longer than <see cref="MaxWordLength"/> cut into pieces (never inside a surrogate pair).</summary>
    public static IEnumerable<(int Offset, int Length)> Bounded(string text, IEnumerable<(int Offset, int Length)> words)
    {
        foreach (var (offset, length) in words)
        {
            int start = offset, end = offset + length;
            while (end - start > MaxWordLength)
            {
                int cut = start + MaxWordLength;
                if (char.IsLowSurrogate(text[cut])) cut--;                    // keep an astral character whole
                yield return (start, cut - start);
                start = cut;
            }
            yield return (start, end - start);
        }
    }
}
