using Microsoft.ML;
using MLNet.Transformers.Estimators;
using MLNet.Transformers.Transforms;

namespace MLNet.Transformers;

/// <summary>Extension methods for serving exported models: tokenization without TorchSharp.</summary>
public static class ServingCatalog
{
    /// <summary>
    /// An encoder's tokenization with no TorchSharp use — BERT WordPiece (HF <c>BertTokenizer</c>, also DistilBERT's) or RoBERTa's
    /// byte-level BPE (HF <c>RobertaTokenizer</c>), chosen by the folder's files — giving the input of an ONNX model written by
    /// <c>ExportOnnx</c> (BERT, RoBERTa, DistilBERT), so <c>TokenizeForTransformer → mlContext.Transforms.ApplyOnnxModel(...)</c>
    /// serves a model without libtorch.
    /// Output columns: <c>input_ids</c>, <c>attention_mask</c>, <c>token_type_ids</c>, known-size vectors of <see cref="long"/>
    /// (length <paramref name="maxSequenceLength"/>: truncated, then padded with the pad id; RoBERTa's type ids are all 0). Every
    /// exported graph takes all three columns (DistilBERT's ignores <c>token_type_ids</c>), so the pipeline is the same for every family.
    /// </summary>
    /// <param name="catalog">The text transforms catalog.</param>
    /// <param name="vocabularyDirectory">Folder with the tokenizer files, e.g. the model's checkpoint folder (or one written by
    /// the transformer's <c>SaveCheckpoint</c>): vocab.txt for WordPiece, else vocab.json + merges.txt for RoBERTa; tokenizer_config.json optional. A Hugging Face Hub id ("org/name" or "org/name@revision") fetches the repository's tokenizer files.</param>
    /// <param name="inputColumnName">Input column: <see cref="string"/> text.</param>
    /// <param name="secondInputColumnName">Optional second input column: <see cref="string"/> text of a sentence pair.</param>
    /// <param name="maxSequenceLength">Tokens per row including the special tokens ([CLS]/[SEP], &lt;s&gt;/&lt;/s&gt;); every row is padded to it.
    /// For RoBERTa keep it within the model's max_position_embeddings − pad_token_id − 1 (512 for roberta-base).</param>
    public static TokenizeForTransformerEstimator TokenizeForTransformer(this TransformsCatalog.TextTransforms catalog,
        string vocabularyDirectory, string inputColumnName, string? secondInputColumnName = null, int maxSequenceLength = 128)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new TokenizeForTransformerEstimator(vocabularyDirectory, new TokenizeForTransformerSettings(inputColumnName, secondInputColumnName, maxSequenceLength),
            Persistence.MLNetInternals.GetEnvironment(catalog));
    }
}
