using Microsoft.ML;
using Microsoft.ML.Runtime;
using MLNet.Transformers.Checkpoints;
using MLNet.Transformers.Tokenization;
using MLNet.Transformers.Transforms;
using MLNet.Transformers.Transforms.Infrastructure;

namespace MLNet.Transformers.Estimators;

/// <summary>
/// Estimator for <see cref="TokenizeForTransformerTransformer"/>: nothing is trained; <see cref="Fit"/> checks the schema and
/// loads the tokenizer. Use it through <c>mlContext.Transforms.Text.TokenizeForTransformer(...)</c>.
/// </summary>
public sealed class TokenizeForTransformerEstimator : IEstimator<TokenizeForTransformerTransformer>
{
    private readonly string vocabularyDirectory;
    private readonly TokenizeForTransformerSettings settings;

    internal TokenizeForTransformerEstimator(string vocabularyDirectory, TokenizeForTransformerSettings settings, IHostEnvironment? env = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(settings.InputColumnName, "inputColumnName");
        if (settings.MaxSequenceLength < (settings.SecondInputColumnName is null ? 3 : 4))
            throw new ArgumentOutOfRangeException("maxSequenceLength", settings.MaxSequenceLength, "maxSequenceLength must leave room for [CLS], [SEP] and at least one token.");
        // A Hub id fetches only the tokenizer files.
        vocabularyDirectory = CheckpointSource.Resolve(vocabularyDirectory, nameof(vocabularyDirectory), nameof(vocabularyDirectory), env, HubFileSet.Tokenizer);
        TokenizeForTransformerTransformer.RequireTokenizerFiles(vocabularyDirectory, nameof(vocabularyDirectory));
        this.vocabularyDirectory = vocabularyDirectory;
        this.settings = settings;
    }

    /// <summary>Checks the input schema and loads the tokenizer (WordPiece from vocab.txt, or RoBERTa's BPE from vocab.json + merges.txt).</summary>
    public TokenizeForTransformerTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var tokenizer = TokenizeForTransformerTransformer.LoadTokenizer(vocabularyDirectory);
        int specials = settings.SecondInputColumnName is null ? tokenizer.PairTemplate.Start.Length + tokenizer.PairTemplate.End.Length : tokenizer.PairTemplate.Count;
        if (settings.MaxSequenceLength < specials + 1)
            throw new ArgumentOutOfRangeException("maxSequenceLength", settings.MaxSequenceLength,
                $"maxSequenceLength must leave room for the {specials} special tokens this tokenizer adds and at least one token.");
        var transformer = new TokenizeForTransformerTransformer(settings, tokenizer);
        transformer.GetOutputSchema(input.Schema);
        return transformer;
    }

    /// <summary>The input plus <c>input_ids</c>, <c>attention_mask</c>, <c>token_type_ids</c> (int64 vectors of the max length).</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var (inputs, outputs) = TokenizeForTransformerTransformer.Columns(settings);
        return EstimatorSchema.GetOutputSchema(inputSchema, inputs, outputs);
    }
}
