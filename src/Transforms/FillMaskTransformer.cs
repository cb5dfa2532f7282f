using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNet.Transformers.Inference;
using MLNet.Transformers.Models;
using MLNet.Transformers.Models.Bert;
using TorchSharp;
using static TorchSharp.torch;
using MLNet.Transformers.Persistence;
using MLNet.Transformers.Tokenization;
using MLNet.Transformers.Transforms.Infrastructure;

namespace MLNet.Transformers.Transforms;

/// <summary>What a <see cref="FillMaskTransformer"/> was configured with (saved inside the ML.NET model).</summary>
/// <param name="InputColumnName">Text column whose mask tokens ([MASK], or RoBERTa's &lt;mask&gt;) are filled.</param>
/// <param name="TokensColumnName">Output: text vector, the top-k tokens of the first mask, then of the next, …</param>
/// <param name="ScoresColumnName">Output: float vector of their probabilities, same layout.</param>
/// <param name="TopK">Candidates per mask.</param>
/// <param name="MaxSequenceLength">Tokens per text including [CLS]/[SEP], capped at the model's max_position_embeddings; masks truncated away get no candidates.</param>
/// <param name="BatchSize">Rows per forward pass.</param>
/// <param name="Device">TorchSharp device, e.g. "cpu".</param>
/// <param name="Precision">Scoring arithmetic, as the estimator's options set it: Auto (resolved on the host that scores: bf16 with AVX512-BF16/AMX, else fp32), Float32 or BFloat16 (bf16 matmuls with fp32 LayerNorm/residuals/softmax over the vocabulary). Models saved before it existed load as Float32.</param>
/// <param name="LengthBucketing">When scoring an IDataView, sort each window of several batches by token count (rows come back in their original order).</param>
public sealed record FillMaskSettings(string InputColumnName, string TokensColumnName = "FilledTokens", string ScoresColumnName = "FilledScores",
    int TopK = 5, int MaxSequenceLength = 128, int BatchSize = 32, string Device = "cpu",
    Precision Precision = Precision.Float32, bool LengthBucketing = true);

/// <summary>
/// Fill-mask with a masked-LM of any encoder family (HF's <c>fill-mask</c> pipeline) as an ML.NET transformer: for each
/// text containing the mask token (BERT/DistilBERT <c>[MASK]</c>, RoBERTa <c>&lt;mask&gt;</c>), the top-k tokens and
/// probabilities at every mask. Returned by the masked-LM pretraining estimator (with <c>MaxEpochs = 0</c> it simply loads a
/// pretrained checkpoint of any family); <see cref="SaveCheckpoint"/> writes the family's HF layout.
/// </summary>
public sealed class FillMaskTransformer : BatchedTransformerBase, ILoadableTransformer<FillMaskTransformer>
{
    private const string SettingsItem = "Settings.json";
    private const string CheckpointItem = "Checkpoint";
    private readonly nn.Module model;
    private readonly IMaskedLanguageModel maskedLanguageModel;
    private readonly IEncoderTokenizer tokenizer;
    private readonly FillMaskPredictor predictor;

    /// <summary>Wraps a trained (or loaded) BERT pretraining model; the transformer takes ownership of it.</summary>
    internal FillMaskTransformer(FillMaskSettings settings, BertForPreTraining model, BertWordPieceTokenizer tokenizer)
        : this(settings, model, new BertMaskedLanguageModel(model), tokenizer) { }

    /// <summary>Wraps a masked-LM (<paramref name="model"/> holds the weights, <paramref name="maskedLanguageModel"/> computes logits: the same object, or a view of it); the transformer takes ownership.</summary>
    internal FillMaskTransformer(FillMaskSettings settings, nn.Module model, IMaskedLanguageModel maskedLanguageModel, IEncoderTokenizer tokenizer) : base(settings.BatchSize)
    {
        Validate(settings);
        // Like HF's model_max_length: there are no positions beyond the model's (RoBERTa: max_position_embeddings − 2), so texts are cut there.
        Settings = settings with { MaxSequenceLength = Math.Min(settings.MaxSequenceLength, maskedLanguageModel.MaxPositions) };
        this.model = model;
        this.maskedLanguageModel = maskedLanguageModel;
        this.tokenizer = tokenizer;
        model.to(DeviceName.Parse(settings.Device));
        model.eval();
        ScoringPrecision.Apply(model, settings.Precision);
        predictor = new FillMaskPredictor(maskedLanguageModel, model, tokenizer, Settings.TopK, Settings.MaxSequenceLength);
        (InputColumns, OutputColumns) = Columns(settings);
    }

    /// <summary>What a fill-mask transformer with these settings reads and appends (its estimator checks schemas with it too).</summary>
    internal static (InputColumnSpec[] Inputs, OutputColumnSpec[] Outputs) Columns(FillMaskSettings settings) => (
        [new(settings.InputColumnName, TextDataViewType.Instance)],
        [new(settings.TokensColumnName, new VectorDataViewType(TextDataViewType.Instance)),
         new(settings.ScoresColumnName, new VectorDataViewType(NumberDataViewType.Single))]);

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first invalid setting (also run on settings read from a saved model).</summary>
    internal static void Validate(FillMaskSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (string.IsNullOrWhiteSpace(settings.InputColumnName)) throw new ArgumentException("InputColumnName must be a column name.", nameof(settings));
        if (string.IsNullOrWhiteSpace(settings.TokensColumnName)) throw new ArgumentException("TokensColumnName must be a column name.", nameof(settings));
        if (string.IsNullOrWhiteSpace(settings.ScoresColumnName)) throw new ArgumentException("ScoresColumnName must be a column name.", nameof(settings));
        if (settings.TopK < 1) throw new ArgumentException($"TopK {settings.TopK} must be at least 1.", nameof(settings));
        if (settings.MaxSequenceLength < 3) throw new ArgumentException($"MaxSequenceLength {settings.MaxSequenceLength} must be at least 3.", nameof(settings));
        if (settings.BatchSize < 1) throw new ArgumentException($"BatchSize {settings.BatchSize} must be at least 1.", nameof(settings));
        if (string.IsNullOrWhiteSpace(settings.Device)) throw new ArgumentException("Device must name a TorchSharp device such as \"cpu\".", nameof(settings));
    }

    /// <summary>
    /// Loads a checkpoint's masked-LM for fill-mask by config.json's model_type (its registered family): BERT's pretraining heads
    /// (MLM head required, NSP head used if present), RoBERTa's <c>lm_head</c>, DistilBERT's <c>vocab_*</c> head; the family's tokenizer with it.
    /// </summary>
    internal static FillMaskTransformer FromCheckpoint(FillMaskSettings settings, string checkpointDirectory)
    {
        Validate(settings);
        // Every check (tokenizer files, vocabulary size) before the model is allocated; the loaders dispose a model whose weights do not load.
        var family = EncoderFamilies.Of(checkpointDirectory);
        var tokenizer = family.LoadTokenizer(checkpointDirectory);
        var (module, masked) = family.LoadForMaskedLM(checkpointDirectory, allowFreshHead: false);
        return Own(module, () => new FillMaskTransformer(settings, module, masked, tokenizer));
    }

    private static FillMaskTransformer Own(nn.Module model, Func<FillMaskTransformer> create)
    {
        try { return create(); }
        catch
        {
            model.DisposeWithWeights();
            throw;
        }
    }

    /// <summary>The settings this transformer was built with.</summary>
    public FillMaskSettings Settings { get; }

    /// <summary>
    /// The model: <see cref="BertForPreTraining"/> (encoder + MLM head, and NSP head if it was trained with one),
    /// <c>RobertaForMaskedLM</c> or <c>DistilBertForMaskedLM</c>.
    /// </summary>
    public nn.Module Model => model;

    /// <summary>The family's tokenizer (<see cref="BertWordPieceTokenizer"/> for BERT and DistilBERT, <see cref="RobertaBpeTokenizer"/>).</summary>
    public IEncoderTokenizer Tokenizer => tokenizer;

    /// <inheritdoc/>
    public override IReadOnlyList<InputColumnSpec> InputColumns { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<OutputColumnSpec> OutputColumns { get; }

    /// <summary>Fills the masks of texts directly, without an IDataView.</summary>
    public IReadOnlyList<FillMaskResult> Predict(IReadOnlyList<string> texts)
    {
        using var use = UseModel();
        return predictor.Predict(texts);
    }

    /// <inheritdoc/>
    protected internal override void MapBatch(RowBatch batch)
    {
        var texts = batch.GetInput<string>(Settings.InputColumnName).Select(t => t ?? "").ToArray();
        var results = predictor.Predict(texts, EncodedRows.ForBatch(batch, tokenizer, texts, null, Settings.MaxSequenceLength));
        batch.SetOutput(Settings.TokensColumnName, results.Select(r => r.Tokens).ToArray());
        batch.SetOutput(Settings.ScoresColumnName, results.Select(r => r.Scores).ToArray());
    }

    /// <inheritdoc/>
    protected internal override bool LengthBucketing => Settings.LengthBucketing;

    /// <summary>The window's rows encoded once: bucketing sorts by their token counts and each batch reuses its rows' encodings.</summary>
    internal override EncodedRows? EncodeRows(RowBatch rows) =>
        EncodedRows.Of(tokenizer, rows.GetInput<string>(Settings.InputColumnName), null, Settings.MaxSequenceLength);

    /// <summary>
    /// Writes the model in its family's Hugging Face layout — <c>BertForPreTraining</c> (or <c>BertForMaskedLM</c> without
    /// NSP), <c>RobertaForMaskedLM</c>, <c>DistilBertForMaskedLM</c> — with its tokenizer files (vocab.txt, or vocab.json +
    /// merges.txt, and tokenizer_config.json): loadable by HF and by this library's estimators.
    /// </summary>
    public void SaveCheckpoint(string directory)
    {
        using var use = UseModel();
        maskedLanguageModel.SaveCheckpoint(directory);
        tokenizer.SaveTo(directory);
    }

    /// <inheritdoc/>
    protected override void SavePayload(TransformerPayloadWriter writer)
    {
        writer.WriteJson(SettingsItem, Settings);
        writer.WriteDirectory(CheckpointItem, SaveCheckpoint);
    }

    /// <summary>Recreates the transformer from an ML.NET model (called by <c>mlContext.Model.Load</c>).</summary>
    public static FillMaskTransformer Load(IHostEnvironment env, TransformerPayloadReader payload)
    {
        var settings = payload.ReadSettings<FillMaskSettings>(SettingsItem, Validate);
        using var checkpoint = payload.RestoreDirectory(CheckpointItem);
        return FromCheckpoint(settings, checkpoint.Path);
    }

    /// <summary>Releases the model's native memory (called once by <see cref="BatchedTransformerBase.Dispose"/>, after forward passes in flight).</summary>
    protected override void DisposeModel() => model.DisposeWithWeights();
}
