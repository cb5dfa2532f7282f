using TorchSharp;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNet.Transformers.Generation;
using MLNet.Transformers.Inference;
using MLNet.Transformers.Models;
using MLNet.Transformers.Models.Gpt2;
using MLNet.Transformers.Persistence;
using MLNet.Transformers.Tokenization;
using MLNet.Transformers.Transforms.Infrastructure;

namespace MLNet.Transformers.Transforms;

/// <summary>What a <see cref="TextGenerationTransformer"/> was configured with (saved inside the ML.NET model).</summary>
/// <param name="OutputColumnName">Output text column: the generated continuation (without the prompt and without the eos token).</param>
/// <param name="InputColumnName">Prompt text column.</param>
/// <param name="Options">The generation options.</param>
/// <param name="Seed">The resolved sampling seed (options.Seed or the MLContext's).</param>
public sealed record TextGenerationSettings(string OutputColumnName, string InputColumnName, TextGenerationOptions Options, int Seed);

/// <summary>
/// Text generation with a GPT-2-style checkpoint as an ML.NET transformer (HF <c>generate</c>): each prompt is tokenized as it
/// is (nothing added) and continued by the shared generation loop — greedy, sampling, or beam search, with the KV cache,
/// eos and stop strings. Rows are generated in left-padded batches of <see cref="TextGenerationOptions.BatchSize"/>; a prompt
/// gets the same tokens alone or in a batch, and sampled draws depend only on the seed and the prompt.
/// </summary>
public sealed class TextGenerationTransformer : CheckpointTransformer<TextGenerationSettings>, ILoadableTransformer<TextGenerationTransformer>
{

    internal TextGenerationTransformer(TextGenerationSettings settings, Gpt2LMHeadModel model, Gpt2BpeTokenizer tokenizer) : base(settings, settings.Options.BatchSize)
    {
        settings.Options.Validate();
        Model = model;
        Tokenizer = tokenizer;
        model.to(DeviceName.Parse(settings.Options.Device));
        model.eval();
        ScoringPrecision.Apply(model, settings.Options.Precision);
        (InputColumns, OutputColumns) = Columns(settings.OutputColumnName, settings.InputColumnName, settings.Options);
    }

    internal static (InputColumnSpec[] Inputs, OutputColumnSpec[] Outputs) Columns(string output, string input, TextGenerationOptions options)
    {
        var outputs = new List<OutputColumnSpec> { new(output, TextDataViewType.Instance) };
        if (options.GeneratedTokenIdsColumnName is { } ids) outputs.Add(new(ids, new VectorDataViewType(NumberDataViewType.Int32)));
        return ([new(input, TextDataViewType.Instance)], outputs.ToArray());
    }

    /// <summary>Loads a GPT-2 checkpoint folder (config.json, model.safetensors, vocab.json, merges.txt).</summary>
    internal static TextGenerationTransformer FromCheckpoint(TextGenerationSettings settings, string directory)
    {
        var tokenizer = Gpt2BpeTokenizer.FromDirectory(directory);
        var model = Gpt2Checkpoint.Load(directory);
        CausalLanguageModelTransformer.RequireVocabulary(tokenizer, model.Config, directory);
        return new TextGenerationTransformer(settings, model, tokenizer);
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

    /// <summary>Generates continuations of <paramref name="prompts"/> directly: (text, new token ids) per prompt.</summary>
    /// <param name="prompts">The prompts.</param>
    /// <param name="cancellationToken">Checked before every generated token.</param>
    /// <exception cref="OperationCanceledException">When <paramref name="cancellationToken"/> fires.</exception>
    public IReadOnlyList<(string Text, int[] TokenIds)> Generate(IReadOnlyList<string> prompts, CancellationToken cancellationToken = default) =>
        Generate(prompts, null, cancellationToken);

    // promptIds: the prompts already encoded (length bucketing did), else null.
    private (string Text, int[] TokenIds)[] Generate(IReadOnlyList<string> prompts, int[][]? promptIds, CancellationToken cancellationToken)
    {
        using var use = UseModel();
        var options = Settings.Options;
        int eos = options.EosTokenId ?? Model.Config.EosTokenId;
        var results = new (string, int[])[prompts.Count];
        // An empty prompt has nothing to continue from: start it from <|endoftext|>, as GPT-2 samples unconditionally.
        var encoded = (promptIds ?? prompts.Select(p => Tokenizer.Encode(p ?? "")).ToArray())
            .Select(ids => ids is { Length: > 0 } ? ids : [Tokenizer.EndOfTextId]).ToArray();
        var seeds = prompts.Select(p => TextGenerator.RowSeed(Settings.Seed, p ?? "")).ToArray();
        Func<IReadOnlyList<int>, bool>? hitsStop = options.StopStrings is { Length: > 0 } stops
            ? ids => stops.Any(s => Tokenizer.Decode(ids).Contains(s, StringComparison.Ordinal))
            : null;
        var device = DeviceName.Parse(options.Device);
        var generated = TextGenerator.Generate(Model, encoded, options, eos < 0 ? null : eos, Tokenizer.EndOfTextId, hitsStop, seeds, device, cancellationToken);
        for (int i = 0; i < prompts.Count; i++)
            results[i] = (Tokenizer.Decode(generated[i].Where(id => id != eos)), generated[i]);
        return results;
    }

    /// <inheritdoc/>
    protected internal override bool LengthBucketing => Settings.Options.LengthBucketing;

    /// <summary>The window's prompts encoded once: batches of similar prompts pad less (a prompt's output does not depend on its batch) and each batch reuses its prompts' ids.</summary>
    internal override EncodedRows? EncodeRows(RowBatch rows)
    {
        var ids = rows.GetInput<string>(Settings.InputColumnName).Select(p => Tokenizer.Encode(p ?? "")).ToArray();
        return new EncodedRows(ids.Select(i => i.Length).ToArray(), ids);
    }

    /// <inheritdoc/>
    protected internal override void MapBatch(RowBatch batch)
    {
        var results = Generate(batch.GetInput<string>(Settings.InputColumnName), batch.Encoded<int[]>(), default);
        batch.SetOutput(Settings.OutputColumnName, results.Select(r => r.Text).ToArray());
        if (Settings.Options.GeneratedTokenIdsColumnName is { } ids) batch.SetOutput(ids, results.Select(r => r.TokenIds).ToArray());
    }

    /// <summary>Writes the model in HF <c>GPT2LMHeadModel</c> layout with its tokenizer files.</summary>
    public override void SaveCheckpoint(string directory)
    {
        using var use = UseModel();
        Gpt2Checkpoint.Save(Model, directory);
        Tokenizer.Save(directory, Model.Config.NPositions);
    }

    /// <summary>Recreates the transformer from an ML.NET model (called by <c>mlContext.Model.Load</c>).</summary>
    public static TextGenerationTransformer Load(IHostEnvironment env, TransformerPayloadReader payload)
        => LoadPayload<TextGenerationTransformer>(payload, FromCheckpoint);
}
