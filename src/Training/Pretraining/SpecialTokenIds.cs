namespace MLNet.Transformers.Training.Pretraining;

/// <summary>
/// The ids of BERT's special tokens in a vocabulary, plus the vocabulary size. Everything in the pretraining data
/// pipeline works on ids only, so this small record is all it needs to know about the tokenizer.
/// </summary>
/// <param name="Pad">Id of <c>[PAD]</c> (0 in bert-base-uncased).</param>
/// <param name="Unk">Id of <c>[UNK]</c> (100). Like Hugging Face, <c>[UNK]</c> tokens in the text can be chosen for masking.</param>
/// <param name="Cls">Id of <c>[CLS]</c> (101).</param>
/// <param name="Sep">Id of <c>[SEP]</c> (102).</param>
/// <param name="Mask">Id of <c>[MASK]</c> (103).</param>
/// <param name="VocabularySize">Number of ids in the vocabulary; every id is in [0, VocabularySize).</param>
internal sealed record SpecialTokenIds(int Pad, int Unk, int Cls, int Sep, int Mask, int VocabularySize)
{
    /// <summary>The ids of bert-base-uncased's <c>vocab.txt</c> (30,522 tokens).</summary>
    public static SpecialTokenIds BertBaseUncased { get; } = new(0, 100, 101, 102, 103, 30522);

    /// <summary>True for the five special ids ([PAD], [UNK], [CLS], [SEP], [MASK]).</summary>
    public bool IsSpecial(long id) => id == Pad || id == Unk || id == Cls || id == Sep || id == Mask;

    /// <summary>
    /// True for the ids the masker never chooses: [CLS], [SEP] and [PAD]. This is what Hugging Face's
    /// <c>special_tokens_mask</c> covers for BERT (the positions added by <c>build_inputs_with_special_tokens</c>,
    /// plus padding); [UNK] and [MASK] occurring in the text are ordinary positions there, and here.
    /// </summary>
    public bool IsNeverMasked(long id) => id == Pad || id == Cls || id == Sep;

    /// <summary>Throws when an id is outside the vocabulary or the special ids are not distinct.</summary>
    public void Validate()
    {
        int[] ids = [Pad, Unk, Cls, Sep, Mask];
        if (VocabularySize <= ids.Length)
            throw new ArgumentException($"{nameof(VocabularySize)} must be larger than the 5 special ids, got {VocabularySize}.");
        foreach (int id in ids)
            if (id < 0 || id >= VocabularySize)
                throw new ArgumentException($"Special token id {id} is outside the vocabulary [0, {VocabularySize}).");
        if (ids.Distinct().Count() != ids.Length)
            throw new ArgumentException($"Special token ids must be distinct, got {this}.");
    }
}
