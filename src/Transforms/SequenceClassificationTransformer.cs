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
/// <param name="Precision">Scoring arithmetic, as the estimator's options set it: Auto (resolved on the host that scores: bf16 with AVX512-BF16/AMX, else fp32 through ONNX Runtime — libtorch fp32 on a GPU or with MLNET_TRANSFORMERS_PRECISION=fp32), Float32, BFloat16 (bf16 matmuls with fp32 LayerNorm/residuals/softmax) or Int8 (the int8 ONNX graph run by ONNX Runtime; CPU). Models saved before it existed load as Float32.</param>
/// <param name="LengthBucketing">When scoring an IDataView, sort each window of several batches by token count so short rows are not padded to long ones; rows come back in their original order.</param>
/// <param name="Architecture">Regression only: CrossEncoder (the pair encoded together, a one-output head) or BiEncoder (Score = <paramref name="LabelScale"/> × cosine of the two sentences' pooled vectors). Models saved before it existed load as CrossEncoder.</param>
/// <param name="LabelScale">BiEncoder only: the factor from cosine to the label's scale (the label that means "identical").</param>
public sealed record SequenceClassificationSettings(string Sentence1ColumnName, string? Sentence2ColumnName, string ScoreColumnName,
    string? PredictedLabelColumnName, LabelClasses? Classes, ClassificationHead Head, int MaxSequenceLength, int BatchSize, string Device = "cpu",
    Precision Precision = Precision.Float32, bool LengthBucketing = true,
    Estimators.SentenceSimilarityArchitecture Architecture = Estimators.SentenceSimilarityArchitecture.CrossEncoder, float LabelScale = 1f)
{
    /// <summary>True when each sentence is encoded on its own and the score is the scaled cosine of their vectors.</summary>
    public bool IsBiEncoder => Architecture == Estimators.SentenceSimilarityArchitecture.BiEncoder;

    /// <summary>True for a one-output regression head (sentence similarity).</summary>
    public bool IsRegression => Classes is null;

    /// <summary>Outputs of the head.</summary>
    public int NumLabels => Classes?.Count ?? 1;
}

/// <summary>
/// A fine-tuned (or loaded) encoder with a sequence head, as an ML.NET transformer. Classification adds
/// <c>PredictedLabel</c> (key) then <c>Score</c> (softmax of the logits, as HF's text-classification pipeline);
/// regression adds <c>Score</c> (the raw output), or for a bi-encoder LabelScale × cos(pooled A, pooled B). Returned by
/// <c>TextClassification</c> and <c>SentenceSimilarity</c>.
/// </summary>
public sealed class SequenceClassificationTransformer : CheckpointTransformer<SequenceClassificationSettings>,
    ILoadableTransformer<SequenceClassificationTransformer>
{
    private readonly EncoderClassifier model;
    private readonly IEncoderTokenizer tokenizer;
    private readonly Device device;
    private readonly OnnxRuntimeEngine? onnx;   // Int8, or Auto on a CPU without fast bf16: ONNX Runtime runs the forward; the torch model stays for saving and export

    /// <summary>Wraps a model; the transformer takes ownership of it.</summary>
    internal SequenceClassificationTransformer(SequenceClassificationSettings settings, EncoderClassifier model, IEncoderTokenizer tokenizer)
        : base(settings with { MaxSequenceLength = Math.Min(settings.MaxSequenceLength, model.MaxPositions) }, settings.BatchSize)
    {
        if (model.NumLabels != settings.NumLabels)
            throw new InvalidOperationException($"The model has {model.NumLabels} outputs but the settings describe {settings.NumLabels}.");
        BiEncoderChecks(settings, model);
        this.model = model;
        this.tokenizer = tokenizer;
        device = DeviceName.Parse(settings.Device);
        model.to(device);
        model.eval();
        // A bi-encoder's engine runs its encoder's pooled-embedding graph once per side; the cosine is taken here.
        onnx = model is BiEncoderModel biEncoder
            ? OnnxRuntimeEngine.For(settings.Precision, settings.Device,
                (path, int8) => Onnx.EncoderOnnxExporter.ExportEncoder(biEncoder.Encoder, path, biEncoder.Pooling, normalize: false, int8))
            : OnnxRuntimeEngine.For(settings.Precision, settings.Device,
                (path, int8) => Onnx.EncoderOnnxExporter.ExportSequenceClassifier(model, path, settings.IsRegression, int8));
        if (onnx is null) ScoringPrecision.Apply(model, settings.Precision);
        (InputColumns, OutputColumns) = Columns(Settings);
    }

    // A bi-encoder has two text columns, a positive scale and a BiEncoderModel; saved settings are checked too.
    private static void BiEncoderChecks(SequenceClassificationSettings settings, EncoderClassifier model)
    {
        if (!Enum.IsDefined(settings.Architecture))
            throw new ArgumentException($"Architecture {(int)settings.Architecture} is not one of {string.Join(", ", Enum.GetNames<Estimators.SentenceSimilarityArchitecture>())}.", nameof(settings));
        if (!settings.IsBiEncoder) return;
        if (!settings.IsRegression || settings.Sentence2ColumnName is null)
            throw new ArgumentException("Architecture BiEncoder scores sentence pairs: Sentence2ColumnName must name the second text column.", nameof(settings));
        if (!(settings.LabelScale > 0) || !float.IsFinite(settings.LabelScale))
            throw new ArgumentException($"LabelScale {settings.LabelScale} must be a positive finite number (the label meaning 'identical', e.g. 5 for STS-B).", nameof(settings));
        if (model is not BiEncoderModel)
            throw new InvalidOperationException("Architecture BiEncoder needs a bi-encoder model (no head), not a classifier.");
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

    /// <summary>The ONNX Runtime engine that runs the forward (Int8, or Auto on a CPU without fast bf16), or null for libtorch.</summary>
    internal OnnxRuntimeEngine? OnnxEngine => onnx;

    /// <inheritdoc/>
    protected internal override void MapBatch(RowBatch batch)
    {
        string[] first = batch.GetInput<string>(Settings.Sentence1ColumnName);
        string[]? second = Settings.Sentence2ColumnName is null ? null : batch.GetInput<string>(Settings.Sentence2ColumnName);
        if (Settings.IsBiEncoder)
        {
            var rows = batch.Encoded<EncodedPair>();
            var a = rows is null ? EncodeSide(first) : EncodedTextBatches.Pad(rows.Select(r => r.First).ToArray(), tokenizer.PadTokenId);
            var b = rows is null ? EncodeSide(second!) : EncodedTextBatches.Pad(rows.Select(r => r.Second).ToArray(), tokenizer.PadTokenId);
            batch.SetOutput(Settings.ScoreColumnName, BiEncoderScores(a, b));
            return;
        }
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
        if (Settings.IsBiEncoder)
        {
            if (pairs is null || pairs.Count != texts.Count)
                throw new ArgumentException($"Architecture BiEncoder scores pairs: give as many pair texts as texts ({texts.Count}).", nameof(pairs));
            return BiEncoderScores(EncodeSide(texts), EncodeSide(pairs)).Select(s => new[] { s }).ToArray();
        }
        return Score(tokenizer.EncodeBatch(texts.Select(t => t ?? "").ToArray(), pairs?.Select(t => t ?? "").ToArray(), Settings.MaxSequenceLength));
    }

    // One side of the pairs, each sentence encoded on its own (null counts as empty).
    private EncodedTextBatch EncodeSide(IReadOnlyList<string?> texts) =>
        tokenizer.EncodeBatch(texts.Select(t => t ?? "").ToArray(), null, Settings.MaxSequenceLength);

    /// <summary>A bi-encoder row's two encodings (what bucketing encoded once).</summary>
    private sealed record EncodedPair(EncodedText First, EncodedText Second);

    // LabelScale × cos(pooled A, pooled B) per row.
    private float[] BiEncoderScores(EncodedTextBatch a, EncodedTextBatch b)
    {
        using var use = UseModel();
        if (a.BatchSize == 0) return [];
        if (onnx is not null) return OnnxCosines(onnx.Run(a, "embedding", "sentence embedding"), onnx.Run(b, "embedding", "sentence embedding"), a.BatchSize);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor[] Side(EncodedTextBatch e)
        {
            var shape = new long[] { e.BatchSize, e.SequenceLength };
            return [tensor(e.InputIds, shape, device: device), tensor(e.TokenTypeIds, shape, device: device), tensor(e.AttentionMask, shape, device: device)];
        }
        var (x, y) = (Side(a), Side(b));
        var cosine = ((BiEncoderModel)model).Cosine(x[0], x[1], x[2], y[0], y[1], y[2]);
        FiniteOutput.Require(cosine, "cosine similarity");
        return (cosine * Settings.LabelScale).cpu().data<float>().ToArray();
    }

    // LabelScale × cos per row of two (rows × H) pooled-vector blocks from the engine, as torch's cosine_similarity
    // (x·y / max(‖x‖‖y‖, 1e-8)), accumulated in double.
    private float[] OnnxCosines(float[] a, float[] b, int rows)
    {
        int h = a.Length / rows;
        var scores = new float[rows];
        for (int i = 0; i < rows; i++)
        {
            ReadOnlySpan<float> x = a.AsSpan(i * h, h), y = b.AsSpan(i * h, h);
            double dot = 0, xx = 0, yy = 0;
            for (int j = 0; j < h; j++) (dot, xx, yy) = (dot + (double)x[j] * y[j], xx + (double)x[j] * x[j], yy + (double)y[j] * y[j]);
            scores[i] = (float)(Settings.LabelScale * dot / Math.Max(Math.Sqrt(xx * yy), 1e-8));
        }
        return scores;
    }

    // Class probabilities (or the regression output) of an encoded batch, one row per text.
    private float[][] Score(EncodedTextBatch encoded)
    {
        using var use = UseModel();
        if (encoded.BatchSize == 0) return [];
        int n = Settings.NumLabels;
        if (onnx is not null)
        {
            var scores = onnx.Run(encoded, "score", "logits");   // softmax probabilities, or the raw regression output, as below
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
    internal override EncodedRows? EncodeRows(RowBatch rows) => Settings.IsBiEncoder ? EncodePairs(rows) : EncodedRows.Of(tokenizer, rows.GetInput<string>(Settings.Sentence1ColumnName),
        Settings.Sentence2ColumnName is null ? null : rows.GetInput<string>(Settings.Sentence2ColumnName), Settings.MaxSequenceLength);

    // Bi-encoder bucketing: both sentences of each row encoded once, the row's cost the longer of the two.
    private EncodedRows EncodePairs(RowBatch rows)
    {
        string[] first = rows.GetInput<string>(Settings.Sentence1ColumnName), second = rows.GetInput<string>(Settings.Sentence2ColumnName!);
        var pairs = first.Select((t, i) => new EncodedPair(tokenizer.Encode(t ?? "", null, Settings.MaxSequenceLength),
            tokenizer.Encode(second[i] ?? "", null, Settings.MaxSequenceLength))).ToArray();
        return new EncodedRows(pairs.Select(p => Math.Max(p.First.Length, p.Second.Length)).ToArray(), pairs);
    }

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
        if (Settings.IsBiEncoder)
            throw new InvalidOperationException("ExportOnnx writes a pair classifier; a BiEncoder has none. Export its sentence encoder instead: SaveCheckpoint, then TransformerEmbedding(folder).ExportOnnx(path).");
        using var use = UseModel();
        Onnx.EncoderOnnxExporter.ExportSequenceClassifier(model, path, Settings.IsRegression, quantizeInt8);
    }

    /// <summary>
    /// Cross-encoder: writes HF layout: config.json (<c>BertForSequenceClassification</c> with id2label/label2id from the key values, or
    /// <c>problem_type: "regression"</c>), model.safetensors and the tokenizer files. BiEncoder: a sentence-transformers
    /// folder (the encoder's config.json, model.safetensors and tokenizer files, <c>modules.json</c>, <c>1_Pooling</c>,
    /// <c>sentence_bert_config.json</c>) that <c>TransformerEmbedding</c> and sentence-transformers load.
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
        EncoderClassifier model = settings.IsBiEncoder ? BiEncoderModel.Load(directory)
            : EncoderCheckpoint.LoadForSequenceClassification(directory, settings.NumLabels, settings.Head, requireHead: true);
        try { return new SequenceClassificationTransformer(settings, model, tokenizer); }
        catch
        {
            model.DisposeWithWeights();
            throw;
        }
    }

    /// <inheritdoc/>
    protected override void DisposeModel()
    {
        onnx?.Dispose();
        base.DisposeModel();
    }

    /// <summary>Recreates the transformer from an ML.NET model (called by <c>mlContext.Model.Load</c>).</summary>
    public static SequenceClassificationTransformer Load(IHostEnvironment env, TransformerPayloadReader payload) =>
        LoadPayload(payload, FromCheckpoint);
}
