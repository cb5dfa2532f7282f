using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNet.Transformers.Inference;
using MLNet.Transformers.Models;
using MLNet.Transformers.Persistence;
using MLNet.Transformers.Tokenization;
using MLNet.Transformers.Transforms.FineTuning;
using MLNet.Transformers.Transforms.Infrastructure;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Transformers.Transforms;

/// <summary>What a <see cref="TokenClassificationTransformer"/> was configured with (saved inside the ML.NET model).</summary>
/// <param name="Sentence1ColumnName">Text column (split on ' ' into words).</param>
/// <param name="OutputColumnName">Output: variable-length vector of keys, one per word.</param>
/// <param name="Classes">The classes and their key values.</param>
/// <param name="MaxSequenceLength">Tokens per window including [CLS]/[SEP], capped at the model's positions.</param>
/// <param name="BatchSize">Rows per forward pass.</param>
/// <param name="Device">TorchSharp device.</param>
/// <param name="Precision">Scoring arithmetic, as the estimator's options set it: Auto (resolved on the host that scores: bf16 with AVX512-BF16/AMX, else fp32), Float32 or BFloat16 (bf16 matmuls with fp32 LayerNorm/residuals/softmax). Models saved before it existed load as Float32.</param>
/// <param name="LengthBucketing">When scoring an IDataView, sort each window of several batches by token count (rows come back in their original order).</param>
public sealed record TokenClassificationSettings(string Sentence1ColumnName, string OutputColumnName, LabelClasses Classes,
    int MaxSequenceLength, int BatchSize, string Device = "cpu", Precision Precision = Precision.Float32, bool LengthBucketing = true);

/// <summary>
/// A fine-tuned (or loaded) encoder with a per-token head, as an ML.NET transformer for named-entity recognition or
/// part-of-speech tagging: one predicted key per word (argmax of the logits at the word's first WordPiece); see
/// <see cref="WordWindows"/> for words and sentences longer than the window. Returned by <c>NamedEntityRecognition</c>.
/// </summary>
public sealed class TokenClassificationTransformer : CheckpointTransformer<TokenClassificationSettings>, ILoadableTransformer<TokenClassificationTransformer>
{
    private readonly EncoderClassifier model;
    private readonly IEncoderTokenizer tokenizer;
    private readonly Device device;

    /// <summary>Wraps a model; the transformer takes ownership of it.</summary>
    internal TokenClassificationTransformer(TokenClassificationSettings settings, EncoderClassifier model, IEncoderTokenizer tokenizer)
        : base(settings with { MaxSequenceLength = Math.Min(settings.MaxSequenceLength, model.MaxPositions) }, settings.BatchSize)
    {
        if (model.NumLabels != settings.Classes.Count)
            throw new InvalidOperationException($"The model has {model.NumLabels} outputs but the settings describe {settings.Classes.Count} classes.");
        this.model = model;
        this.tokenizer = tokenizer;
        device = DeviceName.Parse(settings.Device);
        model.to(device);
        model.eval();
        ScoringPrecision.Apply(model, settings.Precision);
        (InputColumns, OutputColumns) = Columns(Settings);
    }

    /// <summary>What a transformer with these settings reads and appends.</summary>
    internal static (InputColumnSpec[] Inputs, OutputColumnSpec[] Outputs) Columns(TokenClassificationSettings s) => (
        [new(s.Sentence1ColumnName, TextDataViewType.Instance)],
        [new(s.OutputColumnName, new VectorDataViewType(s.Classes.KeyType), s.Classes.KeyValuesAnnotations())]);

    /// <inheritdoc/>
    public override IReadOnlyList<InputColumnSpec> InputColumns { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<OutputColumnSpec> OutputColumns { get; }

    /// <inheritdoc/>
    protected override nn.Module OwnedModel => model;

    /// <inheritdoc/>
    protected internal override void MapBatch(RowBatch batch) =>
        batch.SetOutput(Settings.OutputColumnName, Predict(batch.GetInput<string>(Settings.Sentence1ColumnName)));

    /// <inheritdoc/>
    protected internal override bool LengthBucketing => Settings.LengthBucketing;

    /// <summary>WordPiece count of each sentence's words (capped at one window): what a row costs to encode (bucketing sorts by it).</summary>
    protected internal override int[]? RowLengths(RowBatch rows)
    {
        var texts = rows.GetInput<string>(Settings.Sentence1ColumnName).Select(s => string.Join(' ', WordWindows.Words(s ?? ""))).ToArray();
        return tokenizer.EncodeBatch(texts, null, Settings.MaxSequenceLength).Encodings.Select(e => e.Length).ToArray();
    }

    /// <summary>Tags sentences directly: per sentence one key (class index + 1) per word (null counts as empty: no words).</summary>
    public uint[][] Predict(IReadOnlyList<string?> sentences)
    {
        using var use = UseModel();
        var words = sentences.Select(s => WordWindows.Words(s ?? "")).ToArray();
        var windows = words.SelectMany((w, row) => WordWindows.Split(tokenizer, w, Settings.MaxSequenceLength).Select(window => (row, window))).ToList();
        var result = words.Select(w => new uint[w.Length]).ToArray();
        if (windows.Count == 0) return result;
        var encoded = tokenizer.EncodeBatch(windows.Select(w => w.window.Text).ToArray(), null, Settings.MaxSequenceLength);
        long[] predicted;
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            var shape = new long[] { encoded.BatchSize, encoded.SequenceLength };
            var logits = model.forward(tensor(encoded.InputIds, shape, device: device), tensor(encoded.TokenTypeIds, shape, device: device),
                tensor(encoded.AttentionMask, shape, device: device));                                            // (W, T, L)
            predicted = FiniteOutput.Require(logits, "logits").argmax(-1).cpu().data<long>().ToArray();                                          // (W × T)
        }
        for (int i = 0; i < windows.Count; i++)
        {
            var (row, window) = windows[i];
            var first = WordWindows.FirstTokens(encoded.Encodings[i], window.Words);
            for (int w = 0; w < first.Length; w++)
                result[row][window.FirstWord + w] = (uint)(predicted[(long)i * encoded.SequenceLength + Math.Max(first[w], 0)] + 1); // no piece: read at [CLS]
        }
        return result;
    }

    /// <summary>
    /// Writes the tagger as an ONNX model of standard operators (opset 17): inputs <c>input_ids</c>, <c>attention_mask</c>,
    /// <c>token_type_ids</c> (int64 [batch, sequence]; DistilBERT's graph ignores <c>token_type_ids</c>) → per-token
    /// <c>logits</c> [batch, sequence, labels] and <c>predicted_class</c> [batch, sequence] (int64 argmax, 0-based: key value − 1).
    /// The graph tags tokens (WordPieces, or RoBERTa's BPE pieces): picking each word's first piece (what <see cref="Predict"/>
    /// returns) is left to the caller. BERT, RoBERTa and DistilBERT. With <paramref name="quantizeInt8"/> the encoder's linear
    /// layers are dynamically quantized.
    /// </summary>
    public void ExportOnnx(string path, bool quantizeInt8 = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using var use = UseModel();
        Onnx.EncoderOnnxExporter.ExportTokenClassifier(model, path, quantizeInt8);
    }

    /// <summary>Writes HF layout: config.json (<c>BertForTokenClassification</c>, id2label/label2id from the key values), weights and tokenizer files.</summary>
    public override void SaveCheckpoint(string directory)
    {
        using var use = UseModel();
        model.SaveCheckpoint(directory, new ClassifierLabels(Settings.Classes.Values));
        tokenizer.SaveTo(directory);
    }

    /// <summary>Loads a transformer from a checkpoint folder that has its head.</summary>
    internal static TokenClassificationTransformer FromCheckpoint(TokenClassificationSettings settings, string directory)
    {
        var tokenizer = EncoderCheckpoint.LoadTokenizer(directory);
        var model = EncoderCheckpoint.LoadForTokenClassification(directory, settings.Classes.Count, requireHead: true);
        return new TokenClassificationTransformer(settings, model, tokenizer);
    }

    /// <summary>Recreates the transformer from an ML.NET model (called by <c>mlContext.Model.Load</c>).</summary>
    public static TokenClassificationTransformer Load(IHostEnvironment env, TransformerPayloadReader payload) => LoadPayload(payload, FromCheckpoint);
}
