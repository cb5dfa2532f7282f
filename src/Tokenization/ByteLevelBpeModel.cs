using Microsoft.ML.Tokenizers;

namespace MLNet.Transformers.Tokenization;

/// <summary>
/// The byte-level BPE model shared by <see cref="Gpt2BpeTokenizer"/> and <see cref="RobertaBpeTokenizer"/>: encodes one
/// pre-token (word) at a time, as HF's <c>tokenizers</c> does, whole at any length. Words up to <see cref="LongWordLength"/>
/// characters go through Microsoft.ML.Tokenizers' <see cref="BpeTokenizer"/> (HF's ids, with its word cache); longer ones
/// through <see cref="ByteLevelBpeWordMerger"/>, which gives the same ids in O(n log n) where Microsoft.ML.Tokenizers'
/// merge is quadratic in the word's length.
/// </summary>
internal sealed class ByteLevelBpeModel
{
    /// <summary>Longest word given to Microsoft.ML.Tokenizers' merge (a few milliseconds at most); longer words take the heap merge.</summary>
    public const int LongWordLength = 1000;

    private readonly ByteLevelBpeWordMerger longWords;

    /// <summary>Both merges over <paramref name="vocabulary"/> and <paramref name="merges"/> (checked by <see cref="ByteLevelBpeFiles"/>).</summary>
    public ByteLevelBpeModel(Dictionary<string, int> vocabulary, List<string> merges, string? unknownToken = null, IReadOnlyDictionary<string, int>? specialTokens = null)
    {
        Tokenizer = BpeTokenizer.Create(new BpeOptions(vocabulary) { Merges = merges, ByteLevel = true, UnknownToken = unknownToken, SpecialTokens = specialTokens });
        longWords = new ByteLevelBpeWordMerger(vocabulary, merges, unknownToken is null ? null : vocabulary[unknownToken]);
    }

    /// <summary>Microsoft.ML.Tokenizers' tokenizer over the same files, for decoding (and short words).</summary>
    public BpeTokenizer Tokenizer { get; }

    /// <summary>Appends the tokens of one pre-token to <paramref name="tokens"/>: id and character span within <paramref name="word"/>. A special token given whole is that token.</summary>
    public void EncodeWord(ReadOnlySpan<char> word, List<(int Id, int Start, int End)> tokens)
    {
        if (word.Length > LongWordLength) { longWords.Encode(word, tokens); return; }
        foreach (var token in Tokenizer.EncodeToTokens(word, out _, considerPreTokenization: false, considerNormalization: false))
            tokens.Add((token.Id, token.Offset.Start.Value, token.Offset.End.Value));
    }
}
