namespace MLNet.Transformers.Tokenization;

/// <summary>A batch of encodings padded to the longest row, flattened row-major as int64 (ready for <c>torch.tensor</c>).</summary>
/// <param name="InputIds">(BatchSize × SequenceLength) ids.</param>
/// <param name="TokenTypeIds">(BatchSize × SequenceLength) segment ids.</param>
/// <param name="AttentionMask">(BatchSize × SequenceLength) 1 = token, 0 = padding.</param>
/// <param name="BatchSize">Rows.</param>
/// <param name="SequenceLength">Columns: the longest row.</param>
/// <param name="Encodings">The per-row encodings, padded.</param>
public sealed record EncodedTextBatch(long[] InputIds, long[] TokenTypeIds, long[] AttentionMask, int BatchSize, int SequenceLength, IReadOnlyList<EncodedText> Encodings);
