using MLNet.Transformers.Tokenization;

namespace MLNet.Transformers.Transforms;

/// <summary>A context tokenized once: token ids, character spans in the original context, and word numbers.</summary>
/// <param name="Ids">Token ids (WordPiece or byte-level BPE).</param>
/// <param name="Offsets">Character span (start, end exclusive) of each token in the original context.</param>
/// <param name="WordIds">Number of the pre-tokenizer word each token belongs to ("##" pieces, or the BPE pieces of one GPT-2 regex match, share their word's number).</param>
internal sealed record TokenizedText(int[] Ids, (int Start, int End)[] Offsets, int[] WordIds)
{
    /// <summary>Number of tokens.</summary>
    public int Length => Ids.Length;

    /// <summary>Tokenizes <paramref name="text"/>; words are numbered from the tokenizer's word-start flags.</summary>
    public static TokenizedText Create(IEncoderTokenizer tokenizer, string text)
    {
        var pieces = tokenizer.TokenizeWithOffsets(text);
        var wordIds = new int[pieces.Count];
        int word = -1;
        for (int i = 0; i < pieces.Count; i++)
        {
            if (pieces[i].WordStart || i == 0) word++;
            wordIds[i] = word;
        }
        return new TokenizedText(pieces.Select(p => p.Id).ToArray(), pieces.Select(p => (p.Start, p.End)).ToArray(), wordIds);
    }
}

/// <summary>
/// One model input of a question and a slice of its context in the family's pair layout: BERT <c>[CLS] question [SEP]
/// context[Offset..Offset+Length] [SEP]</c>, RoBERTa <c>&lt;s&gt; question &lt;/s&gt;&lt;/s&gt; context… &lt;/s&gt;</c>.
/// </summary>
/// <param name="InputIds">Token ids (no padding).</param>
/// <param name="TokenTypeIds">0 for [CLS], the question and its [SEP]; 1 for the context slice and the last [SEP] (RoBERTa: all 0).</param>
/// <param name="ContextStart">Position in <paramref name="InputIds"/> of the slice's first token (question length + 2; RoBERTa + 3).</param>
/// <param name="ContextOffset">Index in the context's tokens of the slice's first token.</param>
/// <param name="ContextLength">Number of context tokens in the slice.</param>
internal sealed record QaWindow(int[] InputIds, int[] TokenTypeIds, int ContextStart, int ContextOffset, int ContextLength)
{
    /// <summary>Whether sequence position <paramref name="position"/> holds a context token.</summary>
    public bool IsContext(int position) => position >= ContextStart && position < ContextStart + ContextLength;

    /// <summary>Index in the context's tokens of the token at sequence position <paramref name="position"/>.</summary>
    public int ContextTokenAt(int position) => ContextOffset + position - ContextStart;

    /// <summary>
    /// This window's training target for the answer at characters [answerStart, answerEnd), as HF's run_qa.py computes it
    /// (sequence positions): the last context token starting at or before the answer's
    /// first character and the first one ending at or after its last character, or (0, 0) = [CLS] when the answer is not
    /// wholly inside the window (or there is none).
    /// </summary>
    public (int Start, int End) AnswerPositions(TokenizedText context, int answerStart, int answerEnd)
    {
        if (answerStart < 0 || answerEnd <= answerStart || ContextLength == 0) return (0, 0);
        int first = ContextOffset, last = ContextOffset + ContextLength - 1;
        if (context.Offsets[first].Start > answerStart || context.Offsets[last].End < answerEnd) return (0, 0);
        int s = first;
        while (s + 1 <= last && context.Offsets[s + 1].Start <= answerStart) s++;
        int e = last;
        while (e - 1 >= first && context.Offsets[e - 1].End >= answerEnd) e--;
        return (ContextStart + s - first, ContextStart + e - first);
    }
}
