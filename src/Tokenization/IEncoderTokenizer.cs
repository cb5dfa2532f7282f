namespace MLNet.Transformers.Tokenization;

/// <summary>
/// What the task layer needs from an encoder's tokenizer, whatever the family (WordPiece for BERT/DistilBERT, byte-level BPE for RoBERTa): single texts and
/// pairs encoded with the family's special tokens, truncation and padding, and saving next to the weights.
/// </summary>
public interface IEncoderTokenizer
{
    /// <summary>Number of tokens in the vocabulary (must equal the model's vocab_size).</summary>
    int VocabularySize { get; }

    /// <summary>Encodes a text, or a pair, with special tokens and truncation to <paramref name="maxLength"/> (longest-first for pairs).</summary>
    EncodedText Encode(string text, string? textPair = null, int maxLength = 512, bool padToMaxLength = false);

    /// <summary>Encodes a batch and pads every row to the longest one.</summary>
    EncodedTextBatch EncodeBatch(IReadOnlyList<string> texts, IReadOnlyList<string>? pairs, int maxLength);

    /// <summary>Id of the padding token ([PAD], &lt;pad&gt;).</summary>
    int PadTokenId { get; }

    /// <summary>Id of the unknown token ([UNK], &lt;unk&gt;).</summary>
    int UnkTokenId { get; }

    /// <summary>Id of the mask token ([MASK], &lt;mask&gt;) that fill-mask fills.</summary>
    int MaskTokenId { get; }

    /// <summary>The vocabulary string of an id (e.g. "##ing", "Ġthe").</summary>
    string IdToToken(int id);

    /// <summary>The text of one token as HF's <c>tokenizer.decode([id])</c> gives it (fill-mask's <c>token_str</c>): "##ing", " the", "&lt;s&gt;".</summary>
    string TokenText(int id);

    /// <summary>Ids of a text without special tokens.</summary>
    int[] Tokenize(string text);

    /// <summary>Ids of a text without special tokens, each with its character span in the original text and whether it starts a pre-tokenizer word.</summary>
    IReadOnlyList<(int Id, int Start, int End, bool WordStart)> TokenizeWithOffsets(string text);

    /// <summary>The special tokens around a pair (what question answering packs by hand around its context windows).</summary>
    PairTemplate PairTemplate { get; }

    /// <summary>Writes the tokenizer files (e.g. vocab.txt and tokenizer_config.json) into a checkpoint directory.</summary>
    void SaveTo(string directory);
}

/// <summary>
/// Where a family puts its special tokens in a pair: <c>Start A Middle B End</c> — BERT <c>[CLS] A [SEP] B [SEP]</c> (B's
/// segment id 1), RoBERTa <c>&lt;s&gt; A &lt;/s&gt;&lt;/s&gt; B &lt;/s&gt;</c> (segment ids all 0).
/// </summary>
/// <param name="Start">Ids before the first text.</param>
/// <param name="Middle">Ids between the texts.</param>
/// <param name="End">Ids after the second text.</param>
/// <param name="SecondTypeId">Segment id of the second text and <paramref name="End"/>.</param>
public sealed record PairTemplate(int[] Start, int[] Middle, int[] End, int SecondTypeId)
{
    /// <summary>Special tokens a pair adds (HF's <c>num_special_tokens_to_add(pair=True)</c>): 3 for BERT, 4 for RoBERTa.</summary>
    public int Count => Start.Length + Middle.Length + End.Length;
}
