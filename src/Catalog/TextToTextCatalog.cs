using Microsoft.ML;
using MLNet.Transformers.Estimators;

namespace MLNet.Transformers;

/// <summary>Extension methods for encoder-decoder (T5) models on <c>mlContext.Transforms.Text</c>: text-to-text fine-tuning and generation, span-corruption pretraining.</summary>
public static class TextToTextCatalog
{
    /// <summary>
    /// Fine-tunes a T5 checkpoint (config.json, model.safetensors, tokenizer.json) on (source, target) text pairs with teacher
    /// forcing (labels = target ids + &lt;/s&gt;, loss over the target tokens) and generates a target for each source, as HF's
    /// <c>generate</c>: greedy by default, beam search or sampling per <see cref="TextToTextOptions.Generation"/>, starting from
    /// <c>decoder_start_token_id</c> and stopping after &lt;/s&gt;. With <c>MaxEpochs = 0</c> it uses the checkpoint as it is.
    /// Input columns: <paramref name="sourceColumnName"/> (<see cref="string"/>) and, for training or
    /// <see cref="TextToTextOptions.TargetLogLikelihoodColumnName"/>, <paramref name="targetColumnName"/> (<see cref="string"/>).
    /// Output columns: <paramref name="outputColumnName"/> (<see cref="string"/>), and when set
    /// <see cref="TextGenerationOptions.GeneratedTokenIdsColumnName"/> (int vector) and
    /// <see cref="TextToTextOptions.TargetLogLikelihoodColumnName"/> (float).
    /// </summary>
    /// <param name="catalog">The text transforms catalog.</param>
    /// <param name="checkpointDirectory">The T5 checkpoint folder to start from; or a Hugging Face Hub id, "org/name" or "org/name@revision" (downloaded into the Hub cache).</param>
    /// <param name="outputColumnName">Generated text column.</param>
    /// <param name="sourceColumnName">Source text column (the encoder's input).</param>
    /// <param name="targetColumnName">Target text column (the decoder's labels when training).</param>
    /// <param name="options">Training, length and generation options; null = defaults.</param>
    public static TextToTextEstimator TextToText(this TransformsCatalog.TextTransforms catalog, string checkpointDirectory,
        string outputColumnName = "Generated", string sourceColumnName = "Source", string targetColumnName = "Target", TextToTextOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new TextToTextEstimator(Persistence.MLNetInternals.GetEnvironment(catalog), checkpointDirectory, outputColumnName, sourceColumnName, targetColumnName, options);
    }

    /// <summary>
    /// Pretrains a T5 encoder-decoder (from a checkpoint, or from scratch with a config preset and T5's tokenizer) with one of the
    /// T5 paper's unsupervised objectives — span corruption by default, or drop tokens, BERT-style, prefix LM, deshuffling —
    /// on documents packed into fixed-length inputs, with the shared training loop and a validation loss. The fitted transformer
    /// fills sentinels: input column <see cref="SpanCorruptionOptions.TextColumnName"/> (<see cref="string"/> with
    /// &lt;extra_id_N&gt;), output columns <see cref="SpanCorruptionOptions.OutputColumnName"/> (<see cref="string"/>, the
    /// generated sentinels and spans) and <see cref="SpanCorruptionOptions.FilledColumnName"/> (<see cref="string"/>, the text
    /// with the spans in place). Its <c>SaveCheckpoint</c> writes a folder <see cref="TextToText"/> starts from.
    /// </summary>
    /// <param name="catalog">The text transforms catalog.</param>
    /// <param name="options">Model, objective, data and training options.</param>
    public static SpanCorruptionEstimator PretrainSpanCorruption(this TransformsCatalog.TextTransforms catalog, SpanCorruptionOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new SpanCorruptionEstimator(Persistence.MLNetInternals.GetEnvironment(catalog), options);
    }
}
