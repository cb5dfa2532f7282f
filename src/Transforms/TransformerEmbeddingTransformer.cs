using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNet.Transformers.Models;
using MLNet.Transformers.Models.Bert;
using MLNet.Transformers.Persistence;
using MLNet.Transformers.Tokenization;
using MLNet.Transformers.Transforms.Infrastructure;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Transformers.Transforms;

/// <summary>What a <see cref="TransformerEmbeddingTransformer"/> was configured with (saved inside the ML.NET model).</summary>
/// <param name="OutputColumnName">The float[hidden] column to add.</param>
/// <param name="InputColumnName">The text column.</param>
/// <param name="SecondInputColumnName">The second text column of a sentence pair, or null.</param>
/// <param name="Pooling">How token vectors become the sentence vector.</param>
/// <param name="MaxSequenceLength">Tokens per text (or pair) including [CLS]/[SEP]; longer inputs are truncated (longest-first for pairs). Capped at the model's max_position_embeddings.</param>
/// <param name="BatchSize">Rows encoded per forward pass when transforming an <see cref="Microsoft.ML.IDataView"/>.</param>
/// <param name="Device">TorchSharp device, e.g. "cpu" or "cuda:0".</param>
/// <param name="Normalize">L2-normalise every vector (sentence-transformers' Normalize module); null = only when the folder's modules.json has a Normalize module.</param>
public sealed record TransformerEmbeddingSettings(string OutputColumnName, string InputColumnName, string? SecondInputColumnName,
    EmbeddingPooling Pooling, int MaxSequenceLength, int BatchSize, string Device = "cpu", bool? Normalize = null);

/// <summary>
/// Maps text (or a text pair) to a sentence vector with a frozen encoder (BERT, RoBERTa or DistilBERT, chosen by config.json's
/// model_type) — a feature extractor for any ML.NET trainer. A sentence-transformers folder's pooling and Normalize modules are
/// followed by default. Scoring is lazy and batched; the weights and vocabulary are saved inside the ML.NET model zip.
/// Created by <c>mlContext.Transforms.Text.TransformerEmbedding(...)</c>.
/// </summary>
public sealed class TransformerEmbeddingTransformer : BatchedTransformerBase, ILoadableTransformer<TransformerEmbeddingTransformer>, IDisposable
{
    private const string SettingsItem = "Settings.json";
    private const string CheckpointItem = "Checkpoint";
    private readonly nn.Module model;
    private readonly IEncoderModel encoder;
    private readonly IEncoderTokenizer tokenizer;
    private readonly Device device;

    internal TransformerEmbeddingTransformer(TransformerEmbeddingSettings settings, string checkpointDirectory) : base(settings.BatchSize)
    {
        device = DeviceName.Parse(settings.Device);
        settings = Resolve(settings, ref checkpointDirectory);
        tokenizer = EncoderCheckpoint.LoadTokenizer(checkpointDirectory);
        encoder = EncoderCheckpoint.LoadEncoder(checkpointDirectory, withPooler: settings.Pooling == EmbeddingPooling.Pooler);
        model = (nn.Module)encoder;
        // Like HF's model_max_length: the model has no positions beyond its max_position_embeddings, so inputs are cut there.
        Settings = settings with { MaxSequenceLength = Math.Min(settings.MaxSequenceLength, encoder.MaxPositions) };
        model.to(device);
        model.eval();

        (InputColumns, OutputColumns) = Columns(settings, encoder.HiddenSize);
    }

    // Default pooling and normalisation come from a sentence-transformers folder (modules.json) when there is one; the result
    // is explicit, so a saved transformer (whose checkpoint has no modules.json) behaves the same after loading.
    private static TransformerEmbeddingSettings Resolve(TransformerEmbeddingSettings settings, ref string checkpointDirectory)
    {
        var folder = SentenceTransformersFolder.TryRead(checkpointDirectory);
        if (folder is null) return settings with { Pooling = settings.Pooling == EmbeddingPooling.Default ? EmbeddingPooling.Cls : settings.Pooling, Normalize = settings.Normalize ?? false };
        checkpointDirectory = folder.TransformerDirectory;
        return settings with
        {
            Pooling = settings.Pooling == EmbeddingPooling.Default ? folder.Pooling : settings.Pooling,
            Normalize = settings.Normalize ?? folder.Normalize,
            MaxSequenceLength = folder.MaxSeqLength is int max ? Math.Min(settings.MaxSequenceLength, max) : settings.MaxSequenceLength,
        };
    }

    /// <summary>What a transformer with these settings reads and appends (its estimator checks schemas with it too).</summary>
    internal static (InputColumnSpec[] Inputs, OutputColumnSpec[] Outputs) Columns(TransformerEmbeddingSettings settings, int hiddenSize) => (
        settings.SecondInputColumnName is null
            ? [new(settings.InputColumnName, TextDataViewType.Instance)]
            : [new(settings.InputColumnName, TextDataViewType.Instance), new(settings.SecondInputColumnName, TextDataViewType.Instance)],
        [new(settings.OutputColumnName, new VectorDataViewType(NumberDataViewType.Single, hiddenSize))]);

    /// <summary>The settings this transformer was built with.</summary>
    public TransformerEmbeddingSettings Settings { get; }

    /// <summary>Length of the output vectors (the model's hidden size).</summary>
    public int EmbeddingSize => encoder.HiddenSize;

    /// <inheritdoc/>
    public override IReadOnlyList<InputColumnSpec> InputColumns { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<OutputColumnSpec> OutputColumns { get; }

    /// <inheritdoc/>
    protected internal override void MapBatch(RowBatch batch)
    {
        string[] first = batch.GetInput<string>(Settings.InputColumnName);
        string[]? second = Settings.SecondInputColumnName is null ? null : batch.GetInput<string>(Settings.SecondInputColumnName);
        batch.SetOutput(Settings.OutputColumnName, Embed(first.Select(t => t ?? "").ToArray(), second?.Select(t => t ?? "").ToArray()));
    }

    /// <summary>Embeds a batch of texts (and optional pair texts) directly, without an IDataView.</summary>
    public float[][] Embed(IReadOnlyList<string> texts, IReadOnlyList<string>? pairs = null)
    {
        if (texts.Count == 0) return [];
        var encoded = tokenizer.EncodeBatch(texts, pairs, Settings.MaxSequenceLength);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var shape = new long[] { encoded.BatchSize, encoded.SequenceLength };
        var mask = tensor(encoded.AttentionMask, shape, device: device);
        var output = encoder.forward(tensor(encoded.InputIds, shape, device: device), tensor(encoded.TokenTypeIds, shape, device: device), mask);
        var pooled = Settings.Pooling.Pool(output, mask).to(ScalarType.Float32);                     // (B, H)
        if (Settings.Normalize == true) pooled = EmbeddingPoolingExtensions.L2Normalize(pooled);
        pooled = pooled.cpu();
        var flat = pooled.data<float>().ToArray();
        int h = EmbeddingSize;
        return Enumerable.Range(0, texts.Count).Select(i => flat.AsSpan(i * h, h).ToArray()).ToArray();
    }

    /// <inheritdoc/>
    protected override void SavePayload(TransformerPayloadWriter writer)
    {
        writer.WriteJson(SettingsItem, Settings);
        writer.WriteDirectory(CheckpointItem, SaveCheckpoint);
    }

    /// <summary>Writes the encoder and its tokenizer in its family's Hugging Face layout (config.json, model.safetensors, vocab files, tokenizer_config.json).</summary>
    public void SaveCheckpoint(string directory)
    {
        EncoderCheckpoint.SaveEncoder(encoder, directory);
        tokenizer.SaveTo(directory);
    }

    /// <summary>Recreates the transformer from an ML.NET model (called by <c>mlContext.Model.Load</c>).</summary>
    public static TransformerEmbeddingTransformer Load(IHostEnvironment env, TransformerPayloadReader payload)
    {
        var settings = payload.ReadJson<TransformerEmbeddingSettings>(SettingsItem);
        using var checkpoint = payload.RestoreDirectory(CheckpointItem);
        return new TransformerEmbeddingTransformer(settings, checkpoint.Path);
    }

    /// <summary>Releases the model's native memory.</summary>
    public void Dispose() => model.Dispose();
}
