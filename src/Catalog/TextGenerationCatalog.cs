using Microsoft.ML;
using MLNet.Transformers.Estimators;

namespace MLNet.Transformers;

/// <summary>Extension methods for decoder models (GPT-2): causal-LM pretraining and text generation on <c>mlContext.Transforms.Text</c>.</summary>
public static class TextGenerationCatalog
{
    /// <summary>
    /// Pretrains a GPT-2-style model with next-token prediction (documents joined with &lt;|endoftext|&gt; and packed into blocks;
    /// teacher forcing; loss averaged over tokens; perplexity on validation), from a checkpoint or from scratch, and returns a
    /// scoring transformer. With <c>MaxEpochs = 0</c> it loads the checkpoint as it is.
    /// Input column: <see cref="CausalLanguageModelOptions.TextColumnName"/> (<see cref="string"/>). Output columns:
    /// <see cref="CausalLanguageModelOptions.LogLikelihoodColumnName"/> (float: Σ ln p(token | previous), &lt;|endoftext|&gt; as first
    /// context) and <see cref="CausalLanguageModelOptions.TokenCountColumnName"/> (int: tokens scored).
    /// </summary>
    /// <param name="catalog">The text transforms catalog.</param>
    /// <param name="options">Model, data and training options.</param>
    public static CausalLanguageModelEstimator PretrainCausalLanguageModel(this TransformsCatalog.TextTransforms catalog, CausalLanguageModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new CausalLanguageModelEstimator(Persistence.MLNetInternals.GetEnvironment(catalog), options);
    }

    /// <summary>
    /// Continues each prompt with a GPT-2-layout checkpoint (config.json, model.safetensors, vocab.json, merges.txt), as HF's
    /// <c>generate</c>: greedy by default; sampling, beam search, stop strings and the KV cache per <paramref name="options"/>.
    /// Input column: <paramref name="inputColumnName"/> (<see cref="string"/>, the prompt, tokenized as it is). Output columns:
    /// <paramref name="outputColumnName"/> (<see cref="string"/>, the continuation only) and, when
    /// <see cref="TextGenerationOptions.GeneratedTokenIdsColumnName"/> is set, that column (int vector of the new token ids).
    /// </summary>
    /// <param name="catalog">The text transforms catalog.</param>
    /// <param name="checkpointDirectory">The checkpoint folder; or a Hugging Face Hub id, "org/name" or "org/name@revision" (downloaded into the Hub cache).</param>
    /// <param name="outputColumnName">Generated text column.</param>
    /// <param name="inputColumnName">Prompt column.</param>
    /// <param name="options">Generation options (HF names and defaults); null = defaults.</param>
    public static TextGenerationEstimator GenerateText(this TransformsCatalog.TextTransforms catalog, string checkpointDirectory,
        string outputColumnName, string inputColumnName, TextGenerationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new TextGenerationEstimator(Persistence.MLNetInternals.GetEnvironment(catalog), checkpointDirectory, outputColumnName, inputColumnName, options);
    }
}
