using TorchSharp;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNet.Transformers.Generation;
using MLNet.Transformers.Inference;
using MLNet.Transformers.Models;
using MLNet.Transformers.Models.T5;
using MLNet.Transformers.Persistence;
using MLNet.Transformers.Tokenization;
using MLNet.Transformers.Transforms.Infrastructure;
using MLNet.Transformers.Transforms.TextToText;

namespace MLNet.Transformers.Transforms;

/// <summary>What a <see cref="TextToTextTransformer"/> was configured with (saved inside the ML.NET model).</summary>
/// <param name="OutputColumnName">Output text column: the generated target (without &lt;/s&gt;).</param>
/// <param name="SourceColumnName">Input text column read by the encoder.</param>
/// <param name="TargetColumnName">Target text column (read only for <paramref name="TargetLogLikelihoodColumnName"/>).</param>
/// <param name="TargetLogLikelihoodColumnName">Optional float output: Σ ln p(target token | source, previous target tokens), &lt;/s&gt; included.</param>
/// <param name="MaxSourceLength">Source ids per row including &lt;/s&gt;.</param>
/// <param name="MaxTargetLength">Target ids per scored row including &lt;/s&gt;.</param>
/// <param name="BatchSize">Rows per teacher-forced scoring batch.</param>
/// <param name="Generation">The generation options (its BatchSize = sources generated together).</param>
/// <param name="Seed">The resolved sampling seed.</param>
/// <param name="Device">TorchSharp device.</param>
public sealed record TextToTextSettings(string OutputColumnName, string SourceColumnName, string TargetColumnName, string? TargetLogLikelihoodColumnName,
    int MaxSourceLength, int MaxTargetLength, int BatchSize, TextGenerationOptions Generation, int Seed, string Device);

/// <summary>
/// A T5 encoder-decoder as an ML.NET transformer (HF <c>T5ForConditionalGeneration.generate</c>): each source (ids + &lt;/s&gt;)
/// is encoded once and the decoder generates from <c>decoder_start_token_id</c> until &lt;/s&gt; or <c>MaxNewTokens</c> —
/// greedy, sampling or beam search, with the KV cache, in batches of <see cref="TextGenerationOptions.BatchSize"/> sources.
/// Optionally scores a given target by teacher forcing. Returned by <c>mlContext.Transforms.Text.TextToText</c>;
/// <see cref="SaveCheckpoint"/> writes an HF <c>T5ForConditionalGeneration</c> folder with the tokenizer files.
/// </summary>
public sealed class TextToTextTransformer : CheckpointTransformer<TextToTextSettings>, ILoadableTransformer<TextToTextTransformer>
{
    private readonly T5TextToTextRunner runner;

    internal TextToTextTransformer(TextToTextSettings settings, T5ForConditionalGeneration model, T5Tokenizer tokenizer) : base(settings, settings.Generation.BatchSize)
    {
        settings.Generation.Validate();
        RequireVocabulary(tokenizer, model.Config, "the model");
        Model = model;
        Tokenizer = tokenizer;
        var device = DeviceName.Parse(settings.Device);
        model.to(device);
        model.eval();
        // Generation.Precision = BFloat16: the linear layers run in bf16 and hand fp32 back (T5's attention adds an fp32
        // relative bias and its RMS norms keep fp32 statistics, so no bf16 activation crosses a module boundary).
        ScoringPrecision.Apply(model, settings.Generation.Precision, keepsBf16Output: _ => false);
        runner = new T5TextToTextRunner(model, tokenizer, device);
        (InputColumns, OutputColumns) = Columns(settings);
    }

    /// <summary>What a transformer with these settings reads and appends (the estimator checks schemas with it too).</summary>
    internal static (InputColumnSpec[] Inputs, OutputColumnSpec[] Outputs) Columns(TextToTextSettings s)
    {
        var inputs = new List<InputColumnSpec> { new(s.SourceColumnName, TextDataViewType.Instance) };
        var outputs = new List<OutputColumnSpec> { new(s.OutputColumnName, TextDataViewType.Instance) };
        if (s.Generation.GeneratedTokenIdsColumnName is { } ids) outputs.Add(new(ids, new VectorDataViewType(NumberDataViewType.Int32)));
        if (s.TargetLogLikelihoodColumnName is { } ll)
        {
            inputs.Add(new(s.TargetColumnName, TextDataViewType.Instance, IsOptional: true));
            outputs.Add(new(ll, NumberDataViewType.Single));
        }
        return (inputs.ToArray(), outputs.ToArray());
    }

    /// <summary>Loads an HF T5 folder (config.json, model.safetensors, tokenizer.json).</summary>
    internal static TextToTextTransformer FromCheckpoint(TextToTextSettings settings, string directory)
    {
        var tokenizer = T5Tokenizer.FromDirectory(directory);
        var model = T5Checkpoint.Load(directory);
        try { return new TextToTextTransformer(settings, model, tokenizer); }
        catch { model.DisposeWithWeights(); throw; }
    }

    internal static void RequireVocabulary(T5Tokenizer tokenizer, T5Config config, string where)
    {
        if (tokenizer.VocabularySize > config.VocabSize)
            throw new InvalidOperationException($"tokenizer.json of {where} has {tokenizer.VocabularySize} ids but config.json says vocab_size = {config.VocabSize}.");
    }

    /// <summary>The model.</summary>
    public T5ForConditionalGeneration Model { get; }

    /// <inheritdoc/>
    protected override TorchSharp.torch.nn.Module OwnedModel => Model;

    /// <summary>The T5 tokenizer.</summary>
    public T5Tokenizer Tokenizer { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<InputColumnSpec> InputColumns { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<OutputColumnSpec> OutputColumns { get; }

    /// <summary>Generates a target for each source directly: (text, new token ids with &lt;/s&gt;).</summary>
    /// <param name="sources">The source texts.</param>
    /// <param name="cancellationToken">Checked before every generated token.</param>
    /// <exception cref="OperationCanceledException">When <paramref name="cancellationToken"/> fires.</exception>
    public IReadOnlyList<(string Text, int[] TokenIds)> Generate(IReadOnlyList<string> sources, CancellationToken cancellationToken = default) =>
        Generate(sources, null, cancellationToken);

    // encoded: the sources already encoded (length bucketing did), else null.
    private (string Text, int[] TokenIds)[] Generate(IReadOnlyList<string> sources, int[][]? encoded, CancellationToken cancellationToken)
    {
        using var use = UseModel();
        var generated = runner.GenerateAll(sources, Settings.MaxSourceLength, Settings.Generation, Settings.Seed, cancellationToken, encoded);
        return generated.Select(g => (runner.DecodeGenerated(g), g)).ToArray();
    }

    /// <summary>Σ ln p(target | source) by teacher forcing, for each (source, target) pair, &lt;/s&gt; included.</summary>
    public double[] ScoreTargets(IReadOnlyList<string> sources, IReadOnlyList<string> targets)
    {
        using var use = UseModel();
        return runner.TargetLogLikelihoods(sources.Select(s => runner.EncodeSource(s, Settings.MaxSourceLength)).ToArray(),
            targets.Select(t => runner.EncodeSource(t, Settings.MaxTargetLength)).ToArray(), Settings.BatchSize);
    }

    /// <inheritdoc/>
    protected internal override bool LengthBucketing => Settings.Generation.LengthBucketing;

    /// <summary>The window's sources encoded once: batches of similar sources pad less (a source's output does not depend on its batch) and each batch reuses its sources' ids.</summary>
    internal override EncodedRows? EncodeRows(RowBatch rows)
    {
        var ids = rows.GetInput<string>(Settings.SourceColumnName).Select(s => runner.EncodeSource(s ?? "", Settings.MaxSourceLength)).ToArray();
        return new EncodedRows(ids.Select(i => i.Length).ToArray(), ids);
    }

    /// <inheritdoc/>
    protected internal override void MapBatch(RowBatch batch)
    {
        var sources = batch.GetInput<string>(Settings.SourceColumnName);
        bool wantsText = batch.IsOutputActive(Settings.OutputColumnName);
        bool wantsIds = Settings.Generation.GeneratedTokenIdsColumnName is { } idColumn && batch.IsOutputActive(idColumn);
        if (wantsText || wantsIds)
        {
            var results = Generate(sources, batch.Encoded<int[]>(), default);
            batch.SetOutput(Settings.OutputColumnName, results.Select(r => r.Text).ToArray());
            if (Settings.Generation.GeneratedTokenIdsColumnName is { } ids) batch.SetOutput(ids, results.Select(r => r.TokenIds).ToArray());
        }
        if (Settings.TargetLogLikelihoodColumnName is { } ll && batch.IsOutputActive(ll))
        {
            var scores = batch.HasInput(Settings.TargetColumnName)
                ? ScoreTargets(sources, batch.GetInput<string>(Settings.TargetColumnName)).Select(v => (float)v).ToArray()
                : Enumerable.Repeat(float.NaN, batch.Count).ToArray();
            batch.SetOutput(ll, scores);
        }
    }

    /// <summary>Writes HF <c>T5ForConditionalGeneration</c> layout (config.json, model.safetensors) plus tokenizer.json and tokenizer_config.json.</summary>
    public override void SaveCheckpoint(string directory)
    {
        using var use = UseModel();
        T5Checkpoint.Save(Model, directory);
        Tokenizer.Save(directory);
    }

    /// <summary>Recreates the transformer from an ML.NET model (called by <c>mlContext.Model.Load</c>).</summary>
    public static TextToTextTransformer Load(IHostEnvironment env, TransformerPayloadReader payload)
        => LoadPayload<TextToTextTransformer>(payload, FromCheckpoint);
}
