using TorchSharp;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNet.Transformers.Inference;
using MLNet.Transformers.Models;
using MLNet.Transformers.Models.Gpt2;
using MLNet.Transformers.Persistence;
using MLNet.Transformers.Tokenization;
using MLNet.Transformers.Transforms.Infrastructure;

namespace MLNet.Transformers.Transforms;

/// <summary>What a <see cref="CausalLanguageModelTransformer"/> was configured with (saved inside the ML.NET model).</summary>
/// <param name="TextColumnName">Input text column.</param>
/// <param name="LogLikelihoodColumnName">Output: Σ ln p(token | previous tokens) over the text's tokens, &lt;|endoftext|&gt; as first context (float).</param>
/// <param name="TokenCountColumnName">Output: number of scored tokens (int).</param>
/// <param name="ScoringStride">Sliding-window stride for texts longer than the context; null = half the context.</param>
/// <param name="BatchSize">Windows per forward pass.</param>
/// <param name="Device">TorchSharp device, e.g. "cpu".</param>
/// <param name="Precision">Scoring arithmetic, as the estimator's options set it: Auto (resolved on the host that scores: bf16 with AVX512-BF16/AMX, else fp32), Float32 or BFloat16 (bf16 matmuls in c_attn, c_fc, c_proj with fp32 LayerNorm/residuals/attention/LM head). Models saved before it existed load as Float32.</param>
/// <param name="LengthBucketing">When scoring an IDataView, sort each window of several batches by token count (rows come back in their original order).</param>
public sealed record CausalLanguageModelSettings(string TextColumnName, string LogLikelihoodColumnName = "LogLikelihood",
    string TokenCountColumnName = "TokenCount", int? ScoringStride = null, int BatchSize = 16, string Device = "cpu",
    Precision Precision = Precision.Float32, bool LengthBucketing = true);

/// <summary>
/// Scores text with a GPT-2-style causal LM as an ML.NET transformer: <c>LogLikelihood</c> = Σ ln p(token | previous tokens)
/// over all of the text's tokens with &lt;|endoftext|&gt; prepended as the first context, and <c>TokenCount</c>; perplexity =
/// exp(−LogLikelihood / TokenCount). Texts longer than the context (n_positions) use a sliding window: a window of the full
/// context starts every <see cref="CausalLanguageModelSettings.ScoringStride"/> tokens (default half the context) and scores only
/// tokens not scored before, so each token has at least context − stride tokens of history. Returned by the causal-LM
/// pretraining estimator; <see cref="SaveCheckpoint"/> writes HF <c>GPT2LMHeadModel</c> layout and the tokenizer files.
/// </summary>
public sealed class CausalLanguageModelTransformer : CheckpointTransformer<CausalLanguageModelSettings>, ILoadableTransformer<CausalLanguageModelTransformer>
{
    private readonly CausalLanguageModelScorer scorer;

    internal CausalLanguageModelTransformer(CausalLanguageModelSettings settings, Gpt2LMHeadModel model, Gpt2BpeTokenizer tokenizer) : base(settings, settings.BatchSize)
    {
        int context = model.Config.NPositions;
        int stride = settings.ScoringStride ?? Math.Max(1, context / 2);
        if (stride < 1 || stride >= context)
            throw new ArgumentOutOfRangeException(nameof(settings), stride, $"ScoringStride must be in [1, {context - 1}] (the context is {context} tokens).");
        Model = model;
        Tokenizer = tokenizer;
        model.to(DeviceName.Parse(settings.Device));
        model.eval();
        ScoringPrecision.Apply(model, settings.Precision);
        scorer = new CausalLanguageModelScorer(model, tokenizer.EndOfTextId, context, stride, settings.BatchSize);
        (InputColumns, OutputColumns) = Columns(settings);
    }

    /// <summary>What a transformer with these settings reads and appends (its estimator checks schemas with it too).</summary>
    internal static (InputColumnSpec[] Inputs, OutputColumnSpec[] Outputs) Columns(CausalLanguageModelSettings settings) => (
        [new(settings.TextColumnName, TextDataViewType.Instance)],
        [new(settings.LogLikelihoodColumnName, NumberDataViewType.Single), new(settings.TokenCountColumnName, NumberDataViewType.Int32)]);

    /// <summary>Loads a GPT-2 checkpoint folder (config.json, model.safetensors, vocab.json, merges.txt) for scoring.</summary>
    internal static CausalLanguageModelTransformer FromCheckpoint(CausalLanguageModelSettings settings, string directory)
    {
        var tokenizer = Gpt2BpeTokenizer.FromDirectory(directory);
        var model = Gpt2Checkpoint.Load(directory);
        RequireVocabulary(tokenizer, model.Config, directory);
        return new CausalLanguageModelTransformer(settings, model, tokenizer);
    }

    internal static void RequireVocabulary(Gpt2BpeTokenizer tokenizer, Gpt2Config config, string directory)
    {
        if (tokenizer.VocabularySize > config.VocabSize)
            throw new InvalidOperationException($"vocab.json in '{directory}' has {tokenizer.VocabularySize} tokens but config.json says vocab_size = {config.VocabSize}.");
        tokenizer.RequireIdsWithin(config.VocabSize, directory);
    }

    /// <summary>The model.</summary>
    internal Gpt2LMHeadModel Model { get; }

    /// <inheritdoc/>
    protected override TorchSharp.torch.nn.Module OwnedModel => Model;

    /// <summary>The byte-level BPE tokenizer.</summary>
    public Gpt2BpeTokenizer Tokenizer { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<InputColumnSpec> InputColumns { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<OutputColumnSpec> OutputColumns { get; }

    /// <summary>Scores texts directly, without an IDataView.</summary>
    public IReadOnlyList<(double LogLikelihood, int TokenCount)> Score(IReadOnlyList<string> texts)
    {
        using var use = UseModel();
        return scorer.Score(texts.Select(t => Tokenizer.Encode(t ?? "")).ToArray());
    }

    /// <inheritdoc/>
    protected internal override bool LengthBucketing => Settings.LengthBucketing;

    /// <summary>The window's texts encoded once: bucketing sorts by their token counts and each batch scores its rows' ids.</summary>
    internal override EncodedRows? EncodeRows(RowBatch rows)
    {
        var ids = rows.GetInput<string>(Settings.TextColumnName).Select(t => Tokenizer.Encode(t ?? "")).ToArray();
        return new EncodedRows(ids.Select(i => i.Length).ToArray(), ids);
    }

    /// <inheritdoc/>
    protected internal override void MapBatch(RowBatch batch)
    {
        var ids = batch.Encoded<int[]>() ?? batch.GetInput<string>(Settings.TextColumnName).Select(t => Tokenizer.Encode(t ?? "")).ToArray();
        var scores = scorer.Score(ids);
        batch.SetOutput(Settings.LogLikelihoodColumnName, scores.Select(s => (float)s.LogLikelihood).ToArray());
        batch.SetOutput(Settings.TokenCountColumnName, scores.Select(s => s.TokenCount).ToArray());
    }

    /// <summary>Writes HF <c>GPT2LMHeadModel</c> layout (config.json, model.safetensors) plus vocab.json, merges.txt and tokenizer_config.json.</summary>
    public override void SaveCheckpoint(string directory)
    {
        using var use = UseModel();
        Gpt2Checkpoint.Save(Model, directory);
        Tokenizer.Save(directory, Model.Config.NPositions);
    }

    /// <summary>Recreates the transformer from an ML.NET model (called by <c>mlContext.Model.Load</c>).</summary>
    public static CausalLanguageModelTransformer Load(IHostEnvironment env, TransformerPayloadReader payload)
        => LoadPayload<CausalLanguageModelTransformer>(payload, FromCheckpoint);
}
