using MLNet.Transformers.Tokenization;

namespace MLNet.Transformers.Transforms.Infrastructure;

/// <summary>
/// What length bucketing encoded once for a window of rows: each row's cost (token count after truncation) and its encoding.
/// The scorer sorts by <paramref name="Lengths"/> and hands every batch its share of <paramref name="Encodings"/>
/// (<see cref="RowBatch.Encoded{T}"/>), so <c>MapBatch</c> does not tokenize the rows a second time.
/// </summary>
/// <param name="Lengths">One cost per row.</param>
/// <param name="Encodings">One encoding per row (e.g. an <c>EncodedText</c>[]).</param>
internal sealed record EncodedRows(int[] Lengths, Array Encodings)
{
    /// <summary>Each text (and pair text) of a window encoded once, unpadded (null texts count as empty); lengths are the real token counts.</summary>
    internal static EncodedRows Of(IEncoderTokenizer tokenizer, string?[] texts, string?[]? pairs, int maxLength)
    {
        var encodings = new EncodedText[texts.Length];
        for (int i = 0; i < texts.Length; i++) encodings[i] = tokenizer.Encode(texts[i] ?? "", pairs is null ? null : pairs[i] ?? "", maxLength);
        return new EncodedRows(encodings.Select(e => e.Length).ToArray(), encodings);
    }

    /// <summary>A batch's encodings padded for the model: those bucketing made, else the rows encoded now.</summary>
    internal static EncodedTextBatch ForBatch(RowBatch batch, IEncoderTokenizer tokenizer, string?[] texts, string?[]? pairs, int maxLength) =>
        batch.Encoded<EncodedText>() is { } rows ? EncodedTextBatches.Pad(rows, tokenizer.PadTokenId)
            : tokenizer.EncodeBatch(texts.Select(t => t ?? "").ToArray(), pairs?.Select(t => t ?? "").ToArray(), maxLength);
}
