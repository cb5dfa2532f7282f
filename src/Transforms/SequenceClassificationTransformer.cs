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

/// <summary>What a <see cref="SequenceClassificationTransformer"/> was configured with (saved inside the ML.NET model).</summary>
/// <param name="Sentence1ColumnName">Text column.</param>
/// <param name="Sentence2ColumnName">Second text column of a pair, or null.</param>
/// <param name="ScoreColumnName">Output: class probabilities (float vector), or the regression output (float).</param>
/// <param name="PredictedLabelColumnName">Output: the predicted key; null for regression.</param>
/// <param name="Classes">The classes and their key values; null for regression (one output).</param>
/// <param name="Head">Where the head reads the sentence representation.</param>
/// <param name="MaxSequenceLength">Tokens per row including special tokens, capped at the model's positions.</param>
/// <param name="BatchSize">Rows per forward pass.</param>
/// <param name="Device">TorchSharp device.</param>
/// <param name="Precision">Scoring arithmetic, as the estimator's options set it: Auto (resolved on the host that scores: bf16 with AVX512-BF16/AMX, else fp32), Float32, BFloat16 (bf16 matmuls with fp32 LayerNorm/residuals/softmax) or Int8 (the int8 ONNX graph run by ONNX Runtime; CPU). Models saved before it existed load as Float32.</param>
/// <param name="LengthBucketing">When scoring an IDataView, sort each window of several batches by token count so short rows are not padded to long ones; rows come back in their original order.</param>
public sealed record SequenceClassificationSettings(string Sentence1ColumnName, string? Sentence2ColumnName, string ScoreColumnName,
    string? PredictedLabelColumnName, LabelClasses? Classes, ClassificationHead Head, int MaxSequenceLength, int BatchSize, string Device = "cpu",
    Precision Precision = Precision.Float32, bool LengthBucketing = true)
{
    /// <summary>True for a one-output regression head (sentence similarity).</summary>
    public bool IsRegression => Classes is null;

    /// <summary>Outputs of the head.</summary>
    public int NumLabels => Classes?.Count ?? 1;
}

/// <summary>
/// A fine-tuned (or loaded) encoder with a sequence head, as an ML.NET transformer. Classification adds
/// <c>PredictedLabel</c> (key) then <c>Score</c> (softmax of the logits, as HF's text-classification pipeline);
/// regression adds <c>Score</c> (the raw output). Returned by <c>TextClassification</c> and <c>SentenceSimilarity</c>.
/// </summary>
public sealed class SequenceClassificationTransformer : CheckpointTransformer<SequenceClassificationSettings>,
    ILoadableTransformer<SequenceClassificationTransformer>
{
    private readonly EncoderClassifier model;
    private readonly IEncoderTokenizer tokenizer;
    private readonly Device device;
    private readonly OnnxInt8Engine? int8;   // Precision.Int8: ONNX Runtime runs the forward; the torch model stays for saving and export

    /// <summary>Wraps a model; the transformer takes ownership of it.</summary>
    internal SequenceClassificationTransformer(SequenceClassificationSettings settings, EncoderClassifier model, IEncoderTokenizer tokenizer)
        : base(settings with { MaxSequenceLength = Math.Min(settings.MaxSequenceLength, model.MaxPositions) }, settings.BatchSize)
    {
        if (model.NumLabels != settings.NumLabels)
            throw new InvalidOperationException($"The model has {model.NumLabels} outputs but the settings describe {settings.NumLabels}.");
        this.model = model;
        this.tokenizer = tokenizer;
        device = DeviceName.Parse(settings.Device);
        model.to(device);
        model.eval();
        if (settings.Precision == Precision.Int8)
            int8 = new OnnxInt8Engine(path => Onnx.EncoderOnnxExporter.ExportSequenceClassifier(model, path, settings.IsRegression, int8: true));
        else ScoringPrecision.Apply(model, settings.Precision);
        (InputColumns, OutputColumns) = Columns(Settings);
    }

    /// <summary>What a transformer with these settings reads and appends (its estimator checks schemas with it too).</summary>
    internal static (InputColumnSpec[] Inputs, OutputColumnSpec[] Outputs) Columns(SequenceClassificationSettings s)
    {
        InputColumnSpec[] inputs = s.Sentence2ColumnName is null
            ? [new(s.Sentence1ColumnName, TextDataViewType.Instance)]
            : [new(s.Sentence1ColumnName, TextDataViewType.Instance), new(s.Sentence2ColumnName, TextDataViewType.Instance)];
        OutputColumnSpec[] outputs = s.Classes is { } classes
            ? [new(s.PredictedLabelColumnName!, classes.KeyType, classes.KeyValuesAnnotations(isPredictedLabel: true)),
               new(s.ScoreColumnName, new VectorDataViewType(NumberDataViewType.Single, classes.Count), ScoreAnnotations.Multiclass(classes))]
            : [new(s.ScoreColumnName, NumberDataViewType.Single, ScoreAnnotations.RegressionScore())];
        return (inputs, outputs);
    }

    /// <inheritdoc/>
    public override IReadOnlyList<InputColumnSpec> InputColumns { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<OutputColumnSpec> OutputColumns { get; }

    /// <inheritdoc/>
    protected override nn.Module OwnedModel => model;

    /// <inheritdoc/>
    protected internal override void MapBatch(RowBatch batch)
    {
        string[] first = batch.GetInput<string>(Settings.Sentence1ColumnName);
        string[]? second = Settings.Sentence2ColumnName is null ? null : batch.GetInput<string>(Settings.Sentence2ColumnName);
        float[][] scores = Score(EncodedRows.ForBatch(batch, tokenizer, first, second, Settings.MaxSequenceLength));
        if (Settings.IsRegression)
        {
            batch.SetOutput(Settings.ScoreColumnName, scores.Select(s => s[0]).ToArray());
            return;
        }
        batch.SetOutput(Settings.ScoreColumnName, scores);
        if (batch.IsOutputActive(Settings.PredictedLabelColumnName!))
            batch.SetOutput(Settings.PredictedLabelColumnName!, scores.Select(s => (uint)(ArgMax(s) + 1)).ToArray());
    }

    /// <summary>
    /// Scores texts (and optional pair texts) directly: per row the class probabilities (softmax of the logits), or for
    /// regression the one raw output. Null texts count as empty.
    /// </summary>
    public float[][] Score(IReadOnlyList<string?> texts, IReadOnlyList<string?>? pairs = null)
    {
        using var use = UseModel();
        if (texts.Count == 0) return [];
        return Score(tokenizer.EncodeBatch(texts.Select(t => t ?? "").ToArray(), pairs?.Select(t => t ?? "").ToArray(), Settings.MaxSequenceLength));
    }

    // Class probabilities (or the regression output) of an encoded batch, one row per text.
    private float[][] Score(EncodedTextBatch encoded)
    {
        using var use = UseModel();
        if (encoded.BatchSize == 0) return [];
        int n = Settings.NumLabels;
        if (int8 is not null)
        {
            var scores = int8.Run(encoded, "score");   // softmax probabilities, or the raw regression output, as below
            return Enumerable.Range(0, encoded.BatchSize).Select(i => scores.AsSpan(i * n, n).ToArray()).ToArray();
        }
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var shape = new long[] { encoded.BatchSize, encoded.SequenceLength };
        var logits = model.forward(tensor(encoded.InputIds, shape, device: device), tensor(encoded.TokenTypeIds, shape, device: device),
            tensor(encoded.AttentionMask, shape, device: device)).to(ScalarType.Float32);              // (B, L)
        FiniteOutput.Require(logits, "logits");
        var values = (Settings.IsRegression ? logits : logits.softmax(-1)).cpu().data<float>().ToArray();
        return Enumerable.Range(0, encoded.BatchSize).Select(i => values.AsSpan(i * n, n).ToArray()).ToArray();
    }

    /// <inheritdoc/>
    protected internal override bool LengthBucketing => Settings.LengthBucketing;

    /// <summary>The window's rows encoded once: bucketing sorts by their token counts and each batch reuses its rows' encodings.</summary>
    internal override EncodedRows? EncodeRows(RowBatch rows) => EncodedRows.Of(tokenizer, rows.GetInput<string>(Settings.Sentence1ColumnName),
        Settings.Sentence2ColumnName is null ? null : rows.GetInput<string>(Settings.Sentence2ColumnName), Settings.MaxSequenceLength);

    private static int ArgMax(float[] values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }

    /// <summary>
    /// Writes the classifier as an ONNX model of standard operators (opset 17) for ONNX Runtime or
    /// <c>mlContext.Transforms.ApplyOnnxModel</c>: inputs <c>input_ids</c>, <c>attention_mask</c>, <c>token_type_ids</c>
    /// (int64 [batch, sequence], as <c>TokenizeForTransformer</c> produces; DistilBERT's graph ignores <c>token_type_ids</c>)
    /// → <c>logits</c> [batch, labels], <c>score</c> [batch, labels] (this transformer's Score: softmax probabilities, or the
    /// raw output for regression) and, for classification, <c>predicted_class</c> [batch] (int64 argmax, 0-based: key value − 1).
    /// Each family's own head is exported: BERT pooler → classifier (or classifier on [CLS]), RoBERTa classifier.dense → tanh →
    /// classifier.out_proj on &lt;s&gt;, DistilBERT pre_classifier → ReLU → classifier on [CLS]. With <paramref name="quantizeInt8"/>
    /// the encoder's linear layers are dynamically quantized (int8 weights, per-output-channel scales; the head stays fp32).
    /// A bf16 transformer exports its bf16-rounded weights as fp32.
    /// </summary>
    public void ExportOnnx(string path, bool quantizeInt8 = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using var use = UseModel();
        Onnx.EncoderOnnxExporter.ExportSequenceClassifier(model, path, Settings.IsRegression, quantizeInt8);
    }

    /// <summary>
    /// Writes HF layout: config.json (<c>BertForSequenceClassification</c> with id2label/label2id from the key values, or
    /// <c>problem_type: "regression"</c>), model.safetensors and the tokenizer files.
    /// </summary>
    public override void SaveCheckpoint(string directory)
    {
        using var use = UseModel();
        model.SaveCheckpoint(directory, Settings.Classes is { } c ? new ClassifierLabels(c.Values) : new ClassifierLabels(["LABEL_0"], IsRegression: true));
        tokenizer.SaveTo(directory);
    }

    /// <summary>Loads a transformer from a checkpoint folder that has its head (as <see cref="SaveCheckpoint"/> writes).</summary>
    internal static SequenceClassificationTransformer FromCheckpoint(SequenceClassificationSettings settings, string directory)
    {
        var tokenizer = EncoderCheckpoint.LoadTokenizer(directory);
        var model = EncoderCheckpoint.LoadForSequenceClassification(directory, settings.NumLabels, settings.Head, requireHead: true);
        return new SequenceClassificationTransformer(settings, model, tokenizer);
    }

    /// <inheritdoc/>
    protected override void DisposeModel()
    {
        int8?.Dispose();
        base.DisposeModel();
    }

    /// <summary>Recreates the transformer from an ML.NET model (called by <c>mlContext.Model.Load</c>).</summary>
    public static SequenceClassificationTransformer Load(IHostEnvironment env, TransformerPayloadReader payload) =>
        LoadPayload(payload, FromCheckpoint);
}
