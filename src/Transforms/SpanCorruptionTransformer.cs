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

/// <summary>What a <see cref="SpanCorruptionTransformer"/> was configured with (saved inside the ML.NET model).</summary>
/// <param name="TextColumnName">Input text with sentinels &lt;extra_id_N&gt; where spans are missing.</param>
/// <param name="OutputColumnName">Output: the generated target (sentinels followed by their spans).</param>
/// <param name="FilledColumnName">Output: the input with each sentinel replaced by its generated span.</param>
/// <param name="MaxSourceLength">Input ids per row including &lt;/s&gt;.</param>
/// <param name="Generation">The generation options.</param>
/// <param name="Seed">The resolved sampling seed.</param>
/// <param name="Device">TorchSharp device.</param>
public sealed record SpanCorruptionSettings(string TextColumnName, string OutputColumnName, string FilledColumnName, int MaxSourceLength,
    TextGenerationOptions Generation, int Seed, string Device);

/// <summary>
/// Fills sentinels with a span-corruption-pretrained T5, as T5's pretraining task reads: the input "Thank you &lt;extra_id_0&gt; me
/// to your party &lt;extra_id_1&gt; week." generates "&lt;extra_id_0&gt; for inviting &lt;extra_id_1&gt; last &lt;extra_id_2&gt;", and the
/// filled text puts each span in place of its sentinel. Returned by <c>mlContext.Transforms.Text.PretrainSpanCorruption</c>;
/// <see cref="SaveCheckpoint"/> writes an HF <c>T5ForConditionalGeneration</c> folder that <c>TextToText</c> starts from.
/// </summary>
public sealed class SpanCorruptionTransformer : CheckpointTransformer<SpanCorruptionSettings>, ILoadableTransformer<SpanCorruptionTransformer>
{
    private readonly T5TextToTextRunner runner;

    internal SpanCorruptionTransformer(SpanCorruptionSettings settings, T5ForConditionalGeneration model, T5Tokenizer tokenizer) : base(settings, settings.Generation.BatchSize)
    {
        settings.Generation.Validate();
        TextToTextTransformer.RequireVocabulary(tokenizer, model.Config, "the model");
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

    internal static (InputColumnSpec[] Inputs, OutputColumnSpec[] Outputs) Columns(SpanCorruptionSettings s)
    {
        var outputs = new List<OutputColumnSpec> { new(s.OutputColumnName, TextDataViewType.Instance), new(s.FilledColumnName, TextDataViewType.Instance) };
        if (s.Generation.GeneratedTokenIdsColumnName is { } ids) outputs.Add(new(ids, new VectorDataViewType(NumberDataViewType.Int32)));
        return ([new(s.TextColumnName, TextDataViewType.Instance)], outputs.ToArray());
    }

    internal static SpanCorruptionTransformer FromCheckpoint(SpanCorruptionSettings settings, string directory)
    {
        var tokenizer = T5Tokenizer.FromDirectory(directory);
        var model = T5Checkpoint.Load(directory);
        try { return new SpanCorruptionTransformer(settings, model, tokenizer); }
        catch { model.DisposeWithWeights(); throw; }
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

    /// <summary>For each text: (generated target, filled text, generated ids).</summary>
    public IReadOnlyList<(string Generated, string Filled, int[] TokenIds)> Fill(IReadOnlyList<string> texts) => Fill(texts, null);

    // sources: the texts already encoded (length bucketing did), else encoded here — once, for generating and for filling.
    private (string Generated, string Filled, int[] TokenIds)[] Fill(IReadOnlyList<string> texts, int[][]? sources)
    {
        using var use = UseModel();
        sources ??= texts.Select(t => runner.EncodeSource(t, Settings.MaxSourceLength)).ToArray();
        var generated = runner.GenerateAll(texts, Settings.MaxSourceLength, Settings.Generation, Settings.Seed, sources: sources);
        return texts.Select((_, i) => (runner.DecodeGenerated(generated[i]), FillSource(sources[i], generated[i]), generated[i])).ToArray();
    }

    /// <summary>The text of <paramref name="text"/> with each sentinel replaced by its span in <paramref name="generated"/> (ids as generated).</summary>
    public string Fill(string? text, IReadOnlyList<int> generated) => FillSource(runner.EncodeSource(text, Settings.MaxSourceLength), generated);

    private string FillSource(int[] source, IReadOnlyList<int> generated) =>
        Tokenizer.Decode(Training.Objectives.SpanCorruption.SentinelSpans.Fill(source, generated, Tokenizer.SentinelIndex, Tokenizer.EosId));

    /// <inheritdoc/>
    protected internal override bool LengthBucketing => Settings.Generation.LengthBucketing;

    /// <summary>The window's sources encoded once: batches of similar sources pad less (a source's output does not depend on its batch) and each batch reuses its sources' ids.</summary>
    internal override EncodedRows? EncodeRows(RowBatch rows)
    {
        var ids = rows.GetInput<string>(Settings.TextColumnName).Select(s => runner.EncodeSource(s ?? "", Settings.MaxSourceLength)).ToArray();
        return new EncodedRows(ids.Select(i => i.Length).ToArray(), ids);
    }

    /// <inheritdoc/>
    protected internal override void MapBatch(RowBatch batch)
    {
        var results = Fill(batch.GetInput<string>(Settings.TextColumnName), batch.Encoded<int[]>());
        batch.SetOutput(Settings.OutputColumnName, results.Select(r => r.Generated).ToArray());
        batch.SetOutput(Settings.FilledColumnName, results.Select(r => r.Filled).ToArray());
        if (Settings.Generation.GeneratedTokenIdsColumnName is { } ids) batch.SetOutput(ids, results.Select(r => r.TokenIds).ToArray());
    }

    /// <summary>Writes HF <c>T5ForConditionalGeneration</c> layout (config.json, model.safetensors) plus tokenizer.json and tokenizer_config.json.</summary>
    public override void SaveCheckpoint(string directory)
    {
        using var use = UseModel();
        T5Checkpoint.Save(Model, directory);
        Tokenizer.Save(directory);
    }

    /// <summary>Recreates the transformer from an ML.NET model (called by <c>mlContext.Model.Load</c>).</summary>
    public static SpanCorruptionTransformer Load(IHostEnvironment env, TransformerPayloadReader payload)
        => LoadPayload<SpanCorruptionTransformer>(payload, FromCheckpoint);
}
