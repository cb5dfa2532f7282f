namespace MLNet.Transformers.Tokenization;

/// <summary>
/// What the task layer needs from an encoder's tokenizer, whatever the family (BERT's WordPiece today): single texts and
/// pairs encoded with the family's special tokens, truncation and padding, and saving next to the weights.
/// </summary>
public interface IEncoderTokenizer
{
    /// <summary>Number of tokens in the vocabulary (must equal the model's vocab_size).</summary>
    int VocabularySize { get; }

    /// <summary>Encodes a text, or a pair, with special tokens and truncation to <paramref name="maxLength"/> (longest-first for pairs).</summary>
    BertEncoding Encode(string text, string? textPair = null, int maxLength = 512, bool padToMaxLength = false);

    /// <summary>Encodes a batch and pads every row to the longest one.</summary>
    BertBatch EncodeBatch(IReadOnlyList<string> texts, IReadOnlyList<string>? pairs, int maxLength);

    /// <summary>Writes the tokenizer files (e.g. vocab.txt and tokenizer_config.json) into a checkpoint directory.</summary>
    void SaveTo(string directory);
}
