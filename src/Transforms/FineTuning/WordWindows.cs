using MLNet.Transformers.Tokenization;

namespace MLNet.Transformers.Transforms.FineTuning;

/// <summary>A run of consecutive words of one sentence encoded as one sequence.</summary>
/// <param name="FirstWord">Index of the window's first word in the sentence.</param>
/// <param name="Words">The window's words.</param>
internal sealed record WordWindow(int FirstWord, string[] Words)
{
    /// <summary>The words joined by single spaces: what is tokenized.</summary>
    public string Text => string.Join(" ", Words);
}

/// <summary>
/// Word-level token classification on a WordPiece model (HF's <c>is_split_into_words</c> + <c>word_ids()</c>): words are
/// the sentence split on ' ' (as ML.NET's NER trainer; empty words from repeated spaces are dropped), and each word is
/// predicted from its first piece. A sentence whose pieces do not fit one window is cut at word boundaries into
/// consecutive windows, each encoded on its own ([CLS] … [SEP]), so every word gets a prediction (context does not
/// cross a window boundary). A single word longer than a window keeps its first pieces. A word with no piece at all
/// (only characters BERT's normalisation deletes, e.g. a zero-width space) is predicted from [CLS] and not trained on.
/// </summary>
internal static class WordWindows
{
    public static string[] Words(string sentence) => sentence.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Windows covering <paramref name="words"/> in order, each fitting <paramref name="maxLength"/> tokens with [CLS]/[SEP].</summary>
    public static List<WordWindow> Split(IEncoderTokenizer tokenizer, string[] words, int maxLength)
    {
        var text = string.Join(" ", words);
        var encoding = tokenizer.Encode(text, maxLength: int.MaxValue);
        var pieces = new int[words.Length];
        var starts = WordStarts(words);
        for (int t = 0; t < encoding.InputIds.Length; t++)
            if (encoding.SequenceIds[t] == 0) pieces[WordAt(starts, encoding.Offsets[t].Start)]++;
        int budget = maxLength - 2;
        var windows = new List<WordWindow>();
        int first = 0, used = 0;
        for (int w = 0; w < words.Length; w++)
        {
            if (w > first && used + pieces[w] > budget)
            {
                windows.Add(new WordWindow(first, words[first..w]));
                first = w; used = 0;
            }
            used += pieces[w];
        }
        if (words.Length > 0) windows.Add(new WordWindow(first, words[first..]));
        return windows;
    }

    /// <summary>Position of each word's first token in <paramref name="encoding"/> (of <see cref="WordWindow.Text"/>); -1 when it has none.</summary>
    public static int[] FirstTokens(EncodedText encoding, string[] words)
    {
        var starts = WordStarts(words);
        var first = Enumerable.Repeat(-1, words.Length).ToArray();
        for (int t = 0; t < encoding.InputIds.Length; t++)
        {
            if (encoding.SequenceIds[t] != 0) continue;
            int w = WordAt(starts, encoding.Offsets[t].Start);
            if (first[w] < 0) first[w] = t;
        }
        return first;
    }

    private static int[] WordStarts(string[] words)
    {
        var starts = new int[words.Length];
        for (int i = 1; i < words.Length; i++) starts[i] = starts[i - 1] + words[i - 1].Length + 1;
        return starts;
    }

    // The word whose span holds character position c (the last word starting at or before c).
    private static int WordAt(int[] starts, int c)
    {
        int i = Array.BinarySearch(starts, c);
        return i >= 0 ? i : ~i - 1;
    }
}
