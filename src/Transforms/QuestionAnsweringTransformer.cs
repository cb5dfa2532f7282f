using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNet.Transformers.Inference;
using MLNet.Transformers.Models;
using MLNet.Transformers.Models.Bert;
using MLNet.Transformers.Persistence;
using MLNet.Transformers.Tokenization;
using MLNet.Transformers.Transforms.Infrastructure;
using TorchSharp;

namespace MLNet.Transformers.Transforms;

/// <summary>
/// Extractive question answering with a BERT, RoBERTa or DistilBERT <see cref="QuestionAnsweringModel"/> as an ML.NET transformer: for each
/// (context, question) row, the top-k distinct answers (exact substrings of the context) and their scores, computed as
/// HF's question-answering pipeline does (overlapping windows over long contexts, masked softmax, word-aligned spans).
/// Returned by <c>mlContext.MulticlassClassification.Trainers.QuestionAnswer</c>; <see cref="SaveCheckpoint"/> writes the family's HF layout.
/// </summary>
public sealed class QuestionAnsweringTransformer : CheckpointTransformer<QuestionAnsweringSettings>, ILoadableTransformer<QuestionAnsweringTransformer>
{
    private readonly QuestionAnsweringModel model;
    private readonly IEncoderTokenizer tokenizer;
    private readonly QuestionAnsweringPredictor predictor;

    /// <summary>Wraps a trained (or loaded) model; the transformer takes ownership of it.</summary>
    internal QuestionAnsweringTransformer(QuestionAnsweringSettings settings, QuestionAnsweringModel model, IEncoderTokenizer tokenizer) : base(settings, settings.BatchSize)
    {
        this.model = model;
        this.tokenizer = tokenizer;
        var device = DeviceName.Parse(settings.Device);
        model.to(device);
        model.eval();
        ScoringPrecision.Apply(model, settings.Precision);
        var encoder = new QaEncoder(tokenizer, settings.MaxSequenceLength, settings.DocumentStride, settings.MaxQuestionLength);
        predictor = new QuestionAnsweringPredictor(model, encoder, settings.TopK, settings.MaxAnswerLength, settings.AllowNoAnswer, settings.BatchSize, device);
        (InputColumns, OutputColumns) = Columns(settings);
    }

    /// <summary>What a transformer with these settings reads and appends (its estimator checks schemas with it too).</summary>
    internal static (InputColumnSpec[] Inputs, OutputColumnSpec[] Outputs) Columns(QuestionAnsweringSettings settings)
    {
        var outputs = new List<OutputColumnSpec>
        {
            new(settings.AnswerColumnName, new VectorDataViewType(TextDataViewType.Instance)),
            new(settings.ScoreColumnName, new VectorDataViewType(NumberDataViewType.Single)),
        };
        if (settings.AnswerStartColumnName is { } start) outputs.Add(new(start, new VectorDataViewType(NumberDataViewType.Int32)));
        return ([new(settings.ContextColumnName, TextDataViewType.Instance), new(settings.QuestionColumnName, TextDataViewType.Instance)], outputs.ToArray());
    }

    /// <summary>The model (encoder + <c>qa_outputs</c> span head): <c>BertForQuestionAnswering</c>, <c>RobertaForQuestionAnswering</c> or <c>DistilBertForQuestionAnswering</c>.</summary>
    internal QuestionAnsweringModel Model => model;

    /// <inheritdoc/>
    protected override TorchSharp.torch.nn.Module OwnedModel => model;

    /// <summary>The family's tokenizer (WordPiece for BERT and DistilBERT, byte-level BPE for RoBERTa).</summary>
    public IEncoderTokenizer Tokenizer => tokenizer;

    /// <inheritdoc/>
    public override IReadOnlyList<InputColumnSpec> InputColumns { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<OutputColumnSpec> OutputColumns { get; }

    /// <summary>Answers questions directly, without an IDataView: per row, the top-k answers best first.</summary>
    public IReadOnlyList<QuestionAnswer[]> Predict(IReadOnlyList<string> questions, IReadOnlyList<string> contexts)
    {
        using var use = UseModel();
        ArgumentNullException.ThrowIfNull(questions);
        ArgumentNullException.ThrowIfNull(contexts);
        if (questions.Count != contexts.Count) throw new ArgumentException($"{questions.Count} questions for {contexts.Count} contexts.", nameof(contexts));
        return predictor.Predict(questions, contexts);
    }

    /// <inheritdoc/>
    protected internal override bool LengthBucketing => Settings.LengthBucketing;

    /// <summary>Characters of question + context: a cheap stand-in for the windows' token count (bucketing sorts by it).</summary>
    protected internal override int[]? RowLengths(RowBatch rows)
    {
        var contexts = rows.GetInput<string>(Settings.ContextColumnName);
        var questions = rows.GetInput<string>(Settings.QuestionColumnName);
        return contexts.Select((c, i) => (c?.Length ?? 0) + (questions[i]?.Length ?? 0)).ToArray();
    }

    /// <inheritdoc/>
    protected internal override void MapBatch(RowBatch batch)
    {
        var contexts = batch.GetInput<string>(Settings.ContextColumnName).Select(t => t ?? "").ToArray();
        var questions = batch.GetInput<string>(Settings.QuestionColumnName).Select(t => t ?? "").ToArray();
        var results = predictor.Predict(questions, contexts);
        batch.SetOutput(Settings.AnswerColumnName, results.Select(r => r.Select(a => a.Text).ToArray()).ToArray());
        batch.SetOutput(Settings.ScoreColumnName, results.Select(r => r.Select(a => a.Score).ToArray()).ToArray());
        if (Settings.AnswerStartColumnName is { } start)
            batch.SetOutput(start, results.Select(r => r.Select(a => a.Start).ToArray()).ToArray());
    }

    /// <summary>
    /// Writes the span model (encoder + <c>qa_outputs</c>) as an ONNX model of standard operators (opset 17) for ONNX Runtime
    /// or <c>mlContext.Transforms.ApplyOnnxModel</c>: inputs <c>input_ids</c>, <c>attention_mask</c>, <c>token_type_ids</c>
    /// (int64 [batch, sequence]; one question-first window per row, packed as the family packs pairs — BERT/DistilBERT
    /// <c>[CLS] q [SEP] c [SEP]</c>, RoBERTa <c>&lt;s&gt; q &lt;/s&gt;&lt;/s&gt; c &lt;/s&gt;</c> — which
    /// <c>TokenizeForTransformer</c> with the question as first and the context as second column gives for a context that
    /// fits one window; DistilBERT's graph ignores <c>token_type_ids</c>) → <c>start_logits</c> and <c>end_logits</c>
    /// [batch, sequence]. BERT, RoBERTa and DistilBERT. Only the network is exported: span extraction stays in .NET —
    /// cutting long contexts into strided windows, the masked softmax over context tokens, picking the best
    /// (start ≤ end, at most MaxAnswerLength) spans and mapping them back to the context's characters are what
    /// <see cref="Predict"/> does around the model and are not in the graph. With <paramref name="quantizeInt8"/> the
    /// encoder's linear layers are dynamically quantized (int8 weights, per-output-channel scales; <c>qa_outputs</c> stays fp32).
    /// A bf16 transformer exports its bf16-rounded weights as fp32.
    /// </summary>
    public void ExportOnnx(string path, bool quantizeInt8 = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using var use = UseModel();
        Onnx.EncoderOnnxExporter.ExportQuestionAnswering(model, path, quantizeInt8);
    }

    /// <summary>
    /// Writes the model in its family's Hugging Face layout — <c>BertForQuestionAnswering</c> (<c>bert.…</c>),
    /// <c>RobertaForQuestionAnswering</c> (<c>roberta.…</c>) or <c>DistilBertForQuestionAnswering</c> (<c>distilbert.…</c>), with
    /// <c>qa_outputs.…</c>: config.json, model.safetensors and the tokenizer files (vocab.txt, or vocab.json + merges.txt; tokenizer_config.json).
    /// </summary>
    public override void SaveCheckpoint(string directory)
    {
        using var use = UseModel();
        model.SaveCheckpoint(directory);
        tokenizer.SaveTo(directory);
    }

    /// <summary>Recreates the transformer from an ML.NET model (called by <c>mlContext.Model.Load</c>).</summary>
    public static QuestionAnsweringTransformer Load(IHostEnvironment env, TransformerPayloadReader payload) =>
        LoadPayload<QuestionAnsweringTransformer>(payload, (settings, directory) =>
        {
            var tokenizer = EncoderCheckpoint.LoadTokenizer(directory);   // before the model, so a bad vocabulary allocates nothing
            return new QuestionAnsweringTransformer(settings, EncoderCheckpoint.LoadForQuestionAnswering(directory, requireHead: true), tokenizer);
        });
}
