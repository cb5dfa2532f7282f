using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNet.Transformers.Checkpoints;
using MLNet.Transformers.Models;
using MLNet.Transformers.Transforms;
using MLNet.Transformers.Transforms.Infrastructure;

namespace MLNet.Transformers.Estimators;

/// <summary>
/// Estimator for <see cref="TransformerEmbeddingTransformer"/>: nothing is trained; <see cref="Fit"/> checks the schema and
/// loads the checkpoint (config.json + model.safetensors + vocab.txt). Use it through
/// <c>mlContext.Transforms.Text.TransformerEmbedding(...)</c>.
/// </summary>
public sealed class TransformerEmbeddingEstimator : IEstimator<TransformerEmbeddingTransformer>
{
    private readonly string checkpointDirectory;
    private readonly TransformerEmbeddingSettings settings;

    internal TransformerEmbeddingEstimator(string checkpointDirectory, TransformerEmbeddingSettings settings, IHostEnvironment? env = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(settings.OutputColumnName, "outputColumnName");
        ArgumentException.ThrowIfNullOrWhiteSpace(settings.InputColumnName, "inputColumnName");
        if (settings.MaxSequenceLength < (settings.SecondInputColumnName is null ? 3 : 4))
            throw new ArgumentOutOfRangeException("maxSequenceLength", settings.MaxSequenceLength, "maxSequenceLength must leave room for [CLS], [SEP] and at least one token.");
        if (settings.BatchSize < 1) throw new ArgumentOutOfRangeException("batchSize", settings.BatchSize, "batchSize must be at least 1.");
        this.checkpointDirectory = CheckpointSource.Resolve(checkpointDirectory, nameof(checkpointDirectory), nameof(checkpointDirectory), env);
        this.settings = settings;
    }

    /// <summary>Checks the input schema and loads the model.</summary>
    public TransformerEmbeddingTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var transformer = new TransformerEmbeddingTransformer(settings, checkpointDirectory);
        try { transformer.GetOutputSchema(input.Schema); }
        catch { transformer.Dispose(); throw; }
        return transformer;
    }

    /// <summary>
    /// The output schema: the input plus a known-size float vector column. The hidden size is read from config.json, so the
    /// model is not loaded. Throws naming the column when an input column is missing or not text.
    /// </summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var directory = SentenceTransformersFolder.TryRead(checkpointDirectory)?.TransformerDirectory ?? checkpointDirectory;
        var (inputs, outputs) = TransformerEmbeddingTransformer.Columns(settings, EncoderCheckpoint.ReadHiddenSize(directory));
        return EstimatorSchema.GetOutputSchema(inputSchema, inputs, outputs);
    }
}
