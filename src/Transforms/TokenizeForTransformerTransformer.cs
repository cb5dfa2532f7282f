using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNet.Transformers.Persistence;
using MLNet.Transformers.Tokenization;
using MLNet.Transformers.Transforms.Infrastructure;

namespace MLNet.Transformers.Transforms;

/// <summary>What a <see cref="TokenizeForTransformerTransformer"/> was configured with (saved inside the ML.NET model).</summary>
/// <param name="InputColumnName">The text column.</param>
/// <param name="SecondInputColumnName">The second text of a pair (<c>[CLS] A [SEP] B [SEP]</c>; RoBERTa <c>&lt;s&gt; A &lt;/s&gt;&lt;/s&gt; B &lt;/s&gt;</c>), or null.</param>
/// <param name="MaxSequenceLength">Every row is truncated (longest-first for pairs) and padded to exactly this many tokens.</param>
public sealed record TokenizeForTransformerSettings(string InputColumnName, string? SecondInputColumnName = null, int MaxSequenceLength = 128);

/// <summary>
/// An encoder's tokenization as an ML.NET transform, with no TorchSharp: text → <c>input_ids</c>, <c>attention_mask</c>,
/// <c>token_type_ids</c> (int64 vectors of <see cref="TokenizeForTransformerSettings.MaxSequenceLength"/>, padded with the
/// tokenizer's pad id), exactly the inputs of a model written by <c>ExportOnnx</c>. The tokenizer follows the folder's files:
/// <c>vocab.txt</c> → BERT WordPiece (BERT, DistilBERT), otherwise <c>vocab.json</c> + <c>merges.txt</c> → RoBERTa byte-level
/// BPE (type ids all 0). A serving pipeline is <c>TokenizeForTransformer → mlContext.Transforms.ApplyOnnxModel(...)</c> and
/// runs without libtorch. Saved with the tokenizer's files; models saved before RoBERTa support (vocab.txt) load unchanged.
/// </summary>
public sealed class TokenizeForTransformerTransformer : BatchedTransformerBase, ILoadableTransformer<TokenizeForTransformerTransformer>
{
    /// <summary>Output column names, as the exported ONNX model names its inputs.</summary>
    public const string InputIdsColumnName = "input_ids", AttentionMaskColumnName = "attention_mask", TokenTypeIdsColumnName = "token_type_ids";
    private const string SettingsItem = "Settings.json";
    private const string VocabularyItem = "Vocabulary";
    private readonly IEncoderTokenizer tokenizer;

    internal TokenizeForTransformerTransformer(TokenizeForTransformerSettings settings, IEncoderTokenizer tokenizer) : base(batchSize: 64)
    {
        Settings = settings;
        this.tokenizer = tokenizer;
        (InputColumns, OutputColumns) = Columns(settings);
    }

    /// <summary>What a transformer with these settings reads and appends (its estimator checks schemas with it too).</summary>
    internal static (InputColumnSpec[] Inputs, OutputColumnSpec[] Outputs) Columns(TokenizeForTransformerSettings settings)
    {
        var ids = new VectorDataViewType(NumberDataViewType.Int64, settings.MaxSequenceLength);
        return (settings.SecondInputColumnName is null
                ? [new(settings.InputColumnName, TextDataViewType.Instance)]
                : [new(settings.InputColumnName, TextDataViewType.Instance), new(settings.SecondInputColumnName, TextDataViewType.Instance)],
            [new(InputIdsColumnName, ids), new(AttentionMaskColumnName, ids), new(TokenTypeIdsColumnName, ids)]);
    }

    /// <summary>The settings this transformer was built with.</summary>
    public TokenizeForTransformerSettings Settings { get; }

    /// <summary>The tokenizer: <see cref="BertWordPieceTokenizer"/> or <see cref="RobertaBpeTokenizer"/>.</summary>
    public IEncoderTokenizer Tokenizer => tokenizer;

    /// <inheritdoc/>
    public override IReadOnlyList<InputColumnSpec> InputColumns { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<OutputColumnSpec> OutputColumns { get; }

    /// <inheritdoc/>
    protected internal override void MapBatch(RowBatch batch)
    {
        var first = batch.GetInput<string>(Settings.InputColumnName);
        var second = Settings.SecondInputColumnName is null ? null : batch.GetInput<string>(Settings.SecondInputColumnName);
        var encodings = Enumerable.Range(0, batch.Count)
            .Select(i => tokenizer.Encode(first[i] ?? "", second?[i] ?? (second is null ? null : ""), Settings.MaxSequenceLength, padToMaxLength: true))
            .ToArray();
        static long[][] Longs(IEnumerable<int[]> rows) => rows.Select(r => r.Select(v => (long)v).ToArray()).ToArray();
        batch.SetOutput(InputIdsColumnName, Longs(encodings.Select(e => e.InputIds)));
        batch.SetOutput(AttentionMaskColumnName, Longs(encodings.Select(e => e.AttentionMask)));
        batch.SetOutput(TokenTypeIdsColumnName, Longs(encodings.Select(e => e.TokenTypeIds)));
    }

    /// <inheritdoc/>
    protected override void SavePayload(TransformerPayloadWriter writer)
    {
        writer.WriteJson(SettingsItem, Settings);
        writer.WriteDirectory(VocabularyItem, tokenizer.SaveTo);   // WordPiece: vocab.txt + tokenizer_config.json, as before RoBERTa
    }

    /// <summary>Recreates the transformer from an ML.NET model (called by <c>mlContext.Model.Load</c>).</summary>
    public static TokenizeForTransformerTransformer Load(IHostEnvironment env, TransformerPayloadReader payload)
    {
        var settings = payload.ReadJson<TokenizeForTransformerSettings>(SettingsItem);
        using var vocabulary = payload.RestoreDirectory(VocabularyItem);
        return new TokenizeForTransformerTransformer(settings, LoadTokenizer(vocabulary.Path));
    }

    /// <summary>
    /// The tokenizer a folder's files describe: <c>vocab.txt</c> → BERT WordPiece (checked first, so every folder that served
    /// before still gets WordPiece), else <c>vocab.json</c> + <c>merges.txt</c> → RoBERTa byte-level BPE; tokenizer_config.json
    /// is read when present. By files rather than config.json's model_type, so a tokenizer-only folder (and a saved model) works.
    /// </summary>
    internal static IEncoderTokenizer LoadTokenizer(string directory)
    {
        RequireTokenizerFiles(directory, nameof(directory));
        return HasWordPiece(directory) ? BertWordPieceTokenizer.FromDirectory(directory) : RobertaBpeTokenizer.FromDirectory(directory);
    }

    /// <summary>Throws, naming <paramref name="paramName"/>, when <paramref name="directory"/> has no tokenizer files <see cref="LoadTokenizer"/> reads.</summary>
    internal static void RequireTokenizerFiles(string directory, string paramName)
    {
        if (!HasWordPiece(directory) && !(File.Exists(Path.Combine(directory, "vocab.json")) && File.Exists(Path.Combine(directory, "merges.txt"))))
            throw new ArgumentException($"'{directory}' has neither vocab.txt (BERT/DistilBERT WordPiece) nor vocab.json + merges.txt (RoBERTa byte-level BPE).", paramName);
    }

    private static bool HasWordPiece(string directory) => File.Exists(Path.Combine(directory, "vocab.txt"));
}
