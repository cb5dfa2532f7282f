namespace MLNet.Transformers.Tokenization;

/// <summary>
/// One encoded text or text pair, laid out with its family's special tokens — BERT/DistilBERT <c>[CLS] A [SEP]</c> or
/// <c>[CLS] A [SEP] B [SEP]</c>, RoBERTa <c>&lt;s&gt; A &lt;/s&gt;&lt;/s&gt; B &lt;/s&gt;</c> — then padding. (Named for what the
/// tokenizer produces; not <c>Encoding</c>, which would collide with <c>System.Text.Encoding</c> in user code.)
/// </summary>
/// <param name="InputIds">Token ids.</param>
/// <param name="TokenTypeIds">0 for the first text and its special tokens; 1 for B and its final separator where the family has segments (all 0 for RoBERTa); 0 for padding.</param>
/// <param name="AttentionMask">1 for real tokens, 0 for padding.</param>
/// <param name="SequenceIds">-1 for special tokens and padding, 0 for tokens of the first text, 1 for the second.</param>
/// <param name="Offsets">Character span (start, end exclusive) of each token in the ORIGINAL string of its own text; (0, 0) for special tokens and padding.</param>
/// <param name="IsWordStart">True for a token that starts a word (not a WordPiece "##" continuation, not a BPE piece inside a word); false for special tokens and padding.</param>
public sealed record EncodedText(int[] InputIds, int[] TokenTypeIds, int[] AttentionMask, int[] SequenceIds, (int Start, int End)[] Offsets, bool[] IsWordStart)
{
    /// <summary>Number of real (non-padding) tokens.</summary>
    public int Length => AttentionMask.Count(m => m == 1);
}
