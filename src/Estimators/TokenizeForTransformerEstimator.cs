using Microsoft.ML;
using MLNet.Transformers.Tokenization;
using MLNet.Transformers.Transforms;
using MLNet.Transformers.Transforms.Infrastructure;

namespace MLNet.Transformers.Estimators;

/// <summary>
/// Estimator for <see cref="TokenizeForTransformerTransformer"/>: nothing is trained; <see cref="Fit"/> checks the schema and
/// loads the vocabulary. Use it through <c>mlContext.Transforms.Text.TokenizeForTransformer(...)</c>.
/// </summary>
public sealed class TokenizeForTransformerEstimator : IEstimator<TokenizeForTransformerTransformer>
{
    private readonly string vocabularyDirectory;
    private readonly TokenizeForTransformerSettings settings;

    internal TokenizeForTransformerEstimator(string vocabularyDirectory, TokenizeForTransformerSettings settings)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(vocabularyDirectory);
        ArgumentException.ThrowIfNullOrWhiteSpace(settings.InputColumnName, "inputColumnName");
        if (settings.MaxSequenceLength < (settings.SecondInputColumnName is null ? 3 : 4))
            throw new ArgumentOutOfRangeException("maxSequenceLength", settings.MaxSequenceLength, "maxSequenceLength must leave room for [CLS], [SEP] and at least one token.");
        if (!File.Exists(Path.Combine(vocabularyDirectory, "vocab.txt")))
            throw new ArgumentException($"'{vocabularyDirectory}' has no vocab.txt.", nameof(vocabularyDirectory));
        this.vocabularyDirectory = vocabularyDirectory;
        this.settings = settings;
    }

    /// <summary>Checks the input schema and loads the vocabulary.</summary>
    public TokenizeForTransformerTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var transformer = new TokenizeForTransformerTransformer(settings, BertWordPieceTokenizer.FromDirectory(vocabularyDirectory));
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
