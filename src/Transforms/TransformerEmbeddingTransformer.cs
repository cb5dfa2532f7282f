using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNet.Transformers.Inference;
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
/// <param name="Precision">Scoring arithmetic: Auto (default: bf16 where the CPU has AVX512-BF16/AMX, elsewhere fp32 run by ONNX Runtime on the exported graph (libtorch fp32 on a GPU), decided on the host that scores; see <see cref="Inference.HostPrecision"/>), Float32, BFloat16 matmuls with fp32 LayerNorm/residuals/pooling (about 2× faster on those CPUs, ~5e-3 relative error), or Int8 (the int8 ONNX graph run by ONNX Runtime, CPU only, ~2e-2 relative error). Saved as set; models saved before it existed load as Float32.</param>
/// <param name="LengthBucketing">When scoring an IDataView, sort each window of several batches by token count so short rows are not padded to long ones; rows come back in their original order.</param>
public sealed record TransformerEmbeddingSettings(string OutputColumnName, string InputColumnName, string? SecondInputColumnName,
    EmbeddingPooling Pooling, int MaxSequenceLength, int BatchSize, string Device = "cpu", bool? Normalize = null,
    Precision Precision = Precision.Auto, bool LengthBucketing = true);

/// <summary>
/// Maps text (or a text pair) to a sentence vector with a frozen encoder (BERT, RoBERTa or DistilBERT, chosen by config.json's
/// model_type) — a feature extractor for any ML.NET trainer. A sentence-transformers folder's pooling and Normalize modules are
/// followed by default. Scoring is lazy and batched; the weights and vocabulary are saved inside the ML.NET model zip.
/// Created by <c>mlContext.Transforms.Text.TransformerEmbedding(...)</c>.
/// </summary>
public sealed class TransformerEmbeddingTransformer : BatchedTransformerBase, ILoadableTransformer<TransformerEmbeddingTransformer>
{
    private const string SettingsItem = "Settings.json";
    private const string CheckpointItem = "Checkpoint";
    private readonly nn.Module model;
    private readonly IEncoderModel encoder;
    private readonly IEncoderTokenizer tokenizer;
    private readonly Device device;
    private readonly OnnxRuntimeEngine? onnx;   // Int8, or Auto on a CPU without fast bf16: ONNX Runtime runs the forward; the torch model stays for saving and export

    internal TransformerEmbeddingTransformer(TransformerEmbeddingSettings settings, string checkpointDirectory) : base(settings.BatchSize)
    {
        Validate(settings);
        device = DeviceName.Parse(settings.Device);
        settings = Resolve(settings, ref checkpointDirectory);
        tokenizer = EncoderCheckpoint.LoadTokenizer(checkpointDirectory);
        encoder = EncoderCheckpoint.LoadEncoder(checkpointDirectory, withPooler: settings.Pooling == EmbeddingPooling.Pooler);
        model = (nn.Module)encoder;
        // Like HF's model_max_length: the model has no positions beyond its max_position_embeddings, so inputs are cut there.
        Settings = settings with { MaxSequenceLength = Math.Min(settings.MaxSequenceLength, encoder.MaxPositions) };
        try
        {
            model.to(device);
            model.eval();
            onnx = OnnxRuntimeEngine.For(settings.Precision, settings.Device,
                (path, int8) => Onnx.EncoderOnnxExporter.ExportEncoder(encoder, path, Settings.Pooling, Settings.Normalize == true, int8));
            if (onnx is null) ScoringPrecision.Apply(model, settings.Precision);
        }
        catch
        {
            onnx?.Dispose();
            model.DisposeWithWeights();
            throw;
        }
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

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first invalid setting (also run on settings read from a saved model).</summary>
    internal static void Validate(TransformerEmbeddingSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (string.IsNullOrWhiteSpace(settings.OutputColumnName)) throw new ArgumentException("OutputColumnName must be a column name.", nameof(settings));
        if (string.IsNullOrWhiteSpace(settings.InputColumnName)) throw new ArgumentException("InputColumnName must be a column name.", nameof(settings));
        if (settings.SecondInputColumnName is { } second && string.IsNullOrWhiteSpace(second))
            throw new ArgumentException("SecondInputColumnName must be null or a column name.", nameof(settings));
        if (!Enum.IsDefined(settings.Pooling))
            throw new ArgumentException($"Pooling {(int)settings.Pooling} is not one of {string.Join(", ", Enum.GetNames<EmbeddingPooling>())}.", nameof(settings));
        if (!Enum.IsDefined(settings.Precision))
            throw new ArgumentException($"Precision {(int)settings.Precision} is not one of {string.Join(", ", Enum.GetNames<Precision>())}.", nameof(settings));
        if (settings.Precision == Precision.Int8 && !settings.Device.StartsWith("cpu", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"Precision.Int8 runs in ONNX Runtime on the CPU; Device is '{settings.Device}'.", nameof(settings));
        int minimum = settings.SecondInputColumnName is null ? 3 : 4;
        if (settings.MaxSequenceLength < minimum)
            throw new ArgumentException($"MaxSequenceLength {settings.MaxSequenceLength} must be at least {minimum} (room for [CLS], [SEP] and a token).", nameof(settings));
        if (settings.BatchSize < 1) throw new ArgumentException($"BatchSize {settings.BatchSize} must be at least 1.", nameof(settings));
        if (string.IsNullOrWhiteSpace(settings.Device)) throw new ArgumentException("Device must name a TorchSharp device such as \"cpu\".", nameof(settings));
    }

    /// <summary>What a transformer with these settings reads and appends (its estimator checks schemas with it too).</summary>
    internal static (InputColumnSpec[] Inputs, OutputColumnSpec[] Outputs) Columns(TransformerEmbeddingSettings settings, int hiddenSize) => (
        settings.SecondInputColumnName is null
            ? [new(settings.InputColumnName, TextDataViewType.Instance)]
            : [new(settings.InputColumnName, TextDataViewType.Instance), new(settings.SecondInputColumnName, TextDataViewType.Instance)],
        [new(settings.OutputColumnName, new VectorDataViewType(NumberDataViewType.Single, hiddenSize))]);

    /// <summary>The settings this transformer was built with.</summary>
    public TransformerEmbeddingSettings Settings { get; }

    /// <summary>The model's tokenizer (what <c>TokenizeForTransformer</c> runs when serving an exported model).</summary>
    public IEncoderTokenizer Tokenizer => tokenizer;

    /// <summary>The ONNX Runtime engine that runs the forward (Int8, or Auto on a CPU without fast bf16), or null for libtorch.</summary>
    internal OnnxRuntimeEngine? OnnxEngine => onnx;

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
        batch.SetOutput(Settings.OutputColumnName, Embed(EncodedRows.ForBatch(batch, tokenizer, first, second, Settings.MaxSequenceLength)));
    }

    /// <inheritdoc/>
    protected internal override bool LengthBucketing => Settings.LengthBucketing;

    /// <summary>The window's rows encoded once: bucketing sorts by their token counts and each batch reuses its rows' encodings.</summary>
    internal override EncodedRows? EncodeRows(RowBatch rows) => EncodedRows.Of(tokenizer, rows.GetInput<string>(Settings.InputColumnName),
        Settings.SecondInputColumnName is null ? null : rows.GetInput<string>(Settings.SecondInputColumnName), Settings.MaxSequenceLength);

    /// <summary>Embeds a batch of texts (and optional pair texts) directly, without an IDataView.</summary>
    public float[][] Embed(IReadOnlyList<string> texts, IReadOnlyList<string>? pairs = null)
    {
        using var use = UseModel();
        if (texts.Count == 0) return [];
        return Embed(tokenizer.EncodeBatch(texts, pairs, Settings.MaxSequenceLength));
    }

    // The sentence vectors of an encoded batch (one per row).
    private float[][] Embed(EncodedTextBatch encoded)
    {
        using var use = UseModel();
        if (encoded.BatchSize == 0) return [];
        int h = EmbeddingSize;
        if (onnx is not null)
        {
            var vectors = onnx.Run(encoded, "embedding", "sentence embedding");   // pooled (and normalised) in the graph
            return Enumerable.Range(0, encoded.BatchSize).Select(i => vectors.AsSpan(i * h, h).ToArray()).ToArray();
        }
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var shape = new long[] { encoded.BatchSize, encoded.SequenceLength };
        var mask = tensor(encoded.AttentionMask, shape, device: device);
        var output = encoder.forward(tensor(encoded.InputIds, shape, device: device), tensor(encoded.TokenTypeIds, shape, device: device), mask);
        var pooled = Settings.Pooling.Pool(output, mask).to(ScalarType.Float32);                     // (B, H)
        if (Settings.Normalize == true) pooled = EmbeddingPoolingExtensions.L2Normalize(pooled);
        pooled = FiniteOutput.Require(pooled, "sentence embedding").cpu();
        var flat = pooled.data<float>().ToArray();
        return Enumerable.Range(0, encoded.BatchSize).Select(i => flat.AsSpan(i * h, h).ToArray()).ToArray();
    }

    /// <summary>
    /// Writes the encoder as an ONNX model of standard operators (opset 17) for ONNX Runtime or
    /// <c>mlContext.Transforms.ApplyOnnxModel</c>: inputs <c>input_ids</c>, <c>attention_mask</c>, <c>token_type_ids</c>
    /// (int64 [batch, sequence], as <c>TokenizeForTransformer</c> produces; DistilBERT's graph ignores <c>token_type_ids</c>)
    /// → <c>last_hidden_state</c> [batch, sequence, hidden] and <c>embedding</c> [batch, hidden]: this transformer's pooling
    /// (Cls, Mean, Max, or Pooler where the model has one), L2-normalised as <see cref="Embed(IReadOnlyList{string}, IReadOnlyList{string})"/> when
    /// <see cref="TransformerEmbeddingSettings.Normalize"/> is on. BERT, RoBERTa (positions computed in the graph as HF's
    /// <c>create_position_ids_from_input_ids</c>, so padded batches match) and DistilBERT. With <paramref name="quantizeInt8"/>
    /// the linear layers are dynamically quantized (int8 weights with per-output-channel scales, ~4× smaller; integer
    /// matmuls). A bf16 transformer exports its bf16-rounded weights as fp32.
    /// </summary>
    public void ExportOnnx(string path, bool quantizeInt8 = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using var use = UseModel();
        Onnx.EncoderOnnxExporter.ExportEncoder(encoder, path, Settings.Pooling, Settings.Normalize == true, quantizeInt8);
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
        using var use = UseModel();
        EncoderCheckpoint.SaveEncoder(encoder, directory);
        tokenizer.SaveTo(directory);
    }

    /// <summary>Recreates the transformer from an ML.NET model (called by <c>mlContext.Model.Load</c>).</summary>
    public static TransformerEmbeddingTransformer Load(IHostEnvironment env, TransformerPayloadReader payload)
    {
        var settings = payload.ReadSettings<TransformerEmbeddingSettings>(SettingsItem, Validate);
        // Saved before Precision existed: it scored in fp32 (Auto, the default now, would change its numbers on bf16 hosts).
        if (!payload.JsonHasProperty(SettingsItem, nameof(TransformerEmbeddingSettings.Precision))) settings = settings with { Precision = Precision.Float32 };
        using var checkpoint = payload.RestoreDirectory(CheckpointItem);
        return new TransformerEmbeddingTransformer(settings, checkpoint.Path);
    }

    /// <summary>Releases the model's native memory (called once by <see cref="BatchedTransformerBase.Dispose"/>, after forward passes in flight).</summary>
    protected override void DisposeModel()
    {
        onnx?.Dispose();
        model.DisposeWithWeights();
    }
}
