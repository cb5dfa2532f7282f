using Microsoft.ML;
using MLNet.Transformers.Estimators;
using MLNet.Transformers.Transforms;

namespace MLNet.Transformers;

/// <summary>Extension methods for serving exported models: tokenization without TorchSharp.</summary>
public static class ServingCatalog
{
    /// <summary>
    /// BERT WordPiece tokenization (HF <c>BertTokenizer</c>) with no TorchSharp use: the input of an ONNX model written by
    /// <c>ExportOnnx</c>, so <c>TokenizeForTransformer → mlContext.Transforms.ApplyOnnxModel(...)</c> serves a model without libtorch.
    /// Output columns: <c>input_ids</c>, <c>attention_mask</c>, <c>token_type_ids</c>, known-size vectors of <see cref="long"/>
    /// (length <paramref name="maxSequenceLength"/>: truncated, then padded).
    /// </summary>
    /// <param name="catalog">The text transforms catalog.</param>
    /// <param name="vocabularyDirectory">Folder with vocab.txt (tokenizer_config.json optional), e.g. the model's checkpoint folder.</param>
    /// <param name="inputColumnName">Input column: <see cref="string"/> text.</param>
    /// <param name="secondInputColumnName">Optional second input column: <see cref="string"/> text of a sentence pair.</param>
    /// <param name="maxSequenceLength">Tokens per row including [CLS]/[SEP]; every row is padded to it.</param>
    public static TokenizeForTransformerEstimator TokenizeForTransformer(this TransformsCatalog.TextTransforms catalog,
        string vocabularyDirectory, string inputColumnName, string? secondInputColumnName = null, int maxSequenceLength = 128)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new TokenizeForTransformerEstimator(vocabularyDirectory, new TokenizeForTransformerSettings(inputColumnName, secondInputColumnName, maxSequenceLength));
    }
}
