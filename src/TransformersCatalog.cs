using Microsoft.ML;
using MLNet.Transformers.Estimators;
using MLNet.Transformers.Transforms;

namespace MLNet.Transformers;

/// <summary>Extension methods that add this library's transforms to <c>mlContext.Transforms.Text</c>.</summary>
public static class TransformersCatalog
{
    /// <summary>
    /// Maps a text column (or a pair of text columns, encoded <c>[CLS] A [SEP] B [SEP]</c>) to a sentence vector computed by a
    /// frozen BERT-family encoder loaded from a Hugging Face checkpoint directory.
    /// </summary>
    /// <param name="catalog">The text transforms catalog.</param>
    /// <param name="checkpointDirectory">Folder with config.json, model.safetensors (or a sharded index) and vocab.txt (tokenizer_config.json optional); or a Hugging Face Hub id, "org/name" or "org/name@revision" (downloaded into the Hub cache), or an encoder .onnx file.</param>
    /// <param name="outputColumnName">Output column: known-size vector of <see cref="float"/> (the model's hidden size).</param>
    /// <param name="inputColumnName">Input column: <see cref="string"/> text.</param>
    /// <param name="secondInputColumnName">Optional second input column: <see cref="string"/> text of a sentence pair.</param>
    /// <param name="pooling">Which vector: [CLS] hidden state, masked mean or max over tokens, or BERT's pooler output.
    /// <see cref="EmbeddingPooling.Default"/>: a sentence-transformers folder's own pooling (modules.json), else [CLS].</param>
    /// <param name="maxSequenceLength">Tokens per row including special tokens; longer inputs are truncated (longest-first for pairs).</param>
    /// <param name="batchSize">Rows per forward pass while scoring an IDataView.</param>
    /// <param name="normalize">L2-normalise the vectors; null = only when a sentence-transformers folder has a Normalize module.</param>
    public static TransformerEmbeddingEstimator TransformerEmbedding(this TransformsCatalog.TextTransforms catalog,
        string checkpointDirectory, string outputColumnName, string inputColumnName, string? secondInputColumnName = null,
        EmbeddingPooling pooling = EmbeddingPooling.Default, int maxSequenceLength = 128, int batchSize = 32, bool? normalize = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new TransformerEmbeddingEstimator(checkpointDirectory,
            new TransformerEmbeddingSettings(outputColumnName, inputColumnName, secondInputColumnName, pooling, maxSequenceLength, batchSize, Normalize: normalize),
            Persistence.MLNetInternals.GetEnvironment(catalog));
    }

    /// <summary>As the other overload, with the device (e.g. "cuda:0" where a CUDA TorchSharp package is installed).</summary>
    /// <param name="catalog">The text transforms catalog.</param>
    /// <param name="checkpointDirectory">Folder with config.json, model.safetensors and vocab.txt; or a Hugging Face Hub id, "org/name" or "org/name@revision" (downloaded into the Hub cache), or an encoder .onnx file.</param>
    /// <param name="settings">Columns, pooling, lengths, batch size and device.</param>
    public static TransformerEmbeddingEstimator TransformerEmbedding(this TransformsCatalog.TextTransforms catalog,
        string checkpointDirectory, TransformerEmbeddingSettings settings)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(settings);
        return new TransformerEmbeddingEstimator(checkpointDirectory, settings, Persistence.MLNetInternals.GetEnvironment(catalog));
    }

    /// <summary>
    /// Pretrains a BERT encoder with masked-LM (15% of tokens chosen; 80% → [MASK], 10% → random, 10% unchanged) and
    /// optionally next-sentence prediction, from a checkpoint or from scratch, and returns a fill-mask transformer.
    /// Input column: <see cref="MaskedLanguageModelOptions.TextColumnName"/> (<see cref="string"/>). Output columns:
    /// <see cref="MaskedLanguageModelOptions.FilledTokensColumnName"/> (text vector: top-k tokens of the first [MASK], then the next, …)
    /// and <see cref="MaskedLanguageModelOptions.FilledScoresColumnName"/> (float vector of their probabilities).
    /// </summary>
    /// <param name="catalog">The text transforms catalog.</param>
    /// <param name="options">Model, data, masking and training options.</param>
    public static MaskedLanguageModelEstimator PretrainMaskedLanguageModel(this TransformsCatalog.TextTransforms catalog, MaskedLanguageModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new MaskedLanguageModelEstimator(Persistence.MLNetInternals.GetEnvironment(catalog), options);
    }
}
