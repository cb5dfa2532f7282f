namespace MLNet.Transformers.Tokenization;

/// <summary>
/// One encoded text or text pair, laid out as BERT expects: <c>[CLS] A [SEP]</c> or <c>[CLS] A [SEP] B [SEP]</c>, then padding.
/// </summary>
/// <param name="InputIds">WordPiece ids.</param>
/// <param name="TokenTypeIds">0 for [CLS], A and its [SEP]; 1 for B and the final [SEP]; 0 for padding.</param>
/// <param name="AttentionMask">1 for real tokens, 0 for padding.</param>
/// <param name="SequenceIds">-1 for special tokens and padding, 0 for tokens of the first text, 1 for the second.</param>
/// <param name="Offsets">Character span (start, end exclusive) of each token in the ORIGINAL string of its own text; (0, 0) for special tokens and padding.</param>
/// <param name="IsWordStart">True for a token that starts a word (not a "##" continuation); false for special tokens and padding.</param>
public sealed record BertEncoding(int[] InputIds, int[] TokenTypeIds, int[] AttentionMask, int[] SequenceIds, (int Start, int End)[] Offsets, bool[] IsWordStart)
{
    /// <summary>Number of real (non-padding) tokens.</summary>
    public int Length => AttentionMask.Count(m => m == 1);
}

/// <summary>A batch of encodings padded to the longest row, flattened row-major as int64 (ready for <c>torch.tensor</c>).</summary>
/// <param name="InputIds">(BatchSize × SequenceLength) ids.</param>
/// <param name="TokenTypeIds">(BatchSize × SequenceLength) segment ids.</param>
/// <param name="AttentionMask">(BatchSize × SequenceLength) 1 = token, 0 = padding.</param>
/// <param name="BatchSize">Rows.</param>
/// <param name="SequenceLength">Columns: the longest row.</param>
/// <param name="Encodings">The per-row encodings, padded.</param>
public sealed record BertBatch(long[] InputIds, long[] TokenTypeIds, long[] AttentionMask, int BatchSize, int SequenceLength, IReadOnlyList<BertEncoding> Encodings);
