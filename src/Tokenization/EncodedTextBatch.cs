namespace MLNet.Transformers.Tokenization;

/// <summary>A batch of encodings padded to the longest row, flattened row-major as int64 (ready for <c>torch.tensor</c>).</summary>
/// <param name="InputIds">(BatchSize × SequenceLength) ids.</param>
/// <param name="TokenTypeIds">(BatchSize × SequenceLength) segment ids.</param>
/// <param name="AttentionMask">(BatchSize × SequenceLength) 1 = token, 0 = padding.</param>
/// <param name="BatchSize">Rows.</param>
/// <param name="SequenceLength">Columns: the longest row.</param>
/// <param name="Encodings">The per-row encodings, padded.</param>
public sealed record EncodedTextBatch(long[] InputIds, long[] TokenTypeIds, long[] AttentionMask, int BatchSize, int SequenceLength, IReadOnlyList<EncodedText> Encodings);

/// <summary>Builds <see cref="EncodedTextBatch"/> from rows encoded one by one (what every encoder tokenizer's <c>EncodeBatch</c> and length bucketing do).</summary>
internal static class EncodedTextBatches
{
    /// <summary>Pads <paramref name="rows"/> (unpadded encodings) to the longest one with <paramref name="padTokenId"/> and flattens them.</summary>
    public static EncodedTextBatch Pad(IReadOnlyList<EncodedText> rows, int padTokenId)
    {
        ArgumentNullException.ThrowIfNull(rows);
        int width = rows.Count == 0 ? 0 : rows.Max(e => e.InputIds.Length);
        var padded = rows.Select(e => e.InputIds.Length == width ? e : PadRow(e, width, padTokenId)).ToList();
        long[] Flat(Func<EncodedText, int[]> f) => padded.SelectMany(e => f(e).Select(x => (long)x)).ToArray();
        return new EncodedTextBatch(Flat(e => e.InputIds), Flat(e => e.TokenTypeIds), Flat(e => e.AttentionMask), padded.Count, width, padded);
    }

    // Padding: the pad id, type 0, mask 0, no sequence (-1), no characters, not a word start.
    private static EncodedText PadRow(EncodedText e, int length, int padTokenId)
    {
        int n = e.InputIds.Length;
        int[] Grow(int[] a, int fill) { var r = new int[length]; a.CopyTo(r, 0); Array.Fill(r, fill, n, length - n); return r; }
        var offsets = new (int, int)[length]; e.Offsets.CopyTo(offsets, 0);
        var starts = new bool[length]; e.IsWordStart.CopyTo(starts, 0);
        return new EncodedText(Grow(e.InputIds, padTokenId), Grow(e.TokenTypeIds, 0), Grow(e.AttentionMask, 0), Grow(e.SequenceIds, -1), offsets, starts);
    }
}
