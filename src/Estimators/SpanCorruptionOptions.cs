using Microsoft.ML;
using MLNet.Transformers.Models.T5;
using MLNet.Transformers.Training;
using MLNet.Transformers.Training.Objectives.SpanCorruption;

namespace MLNet.Transformers.Estimators;

/// <summary>
/// Options of <c>mlContext.Transforms.Text.PretrainSpanCorruption</c>: T5-style unsupervised pretraining of an encoder-decoder
/// on an <see cref="IDataView"/> of text (one document per row), from a T5 checkpoint or from scratch, with one of the
/// objectives the T5 paper compares. Documents are tokenized, concatenated and cut into fixed-length chunks (packing); every
/// epoch draws a fresh corruption of each chunk. The fitted transformer fills sentinels in text.
/// </summary>
public sealed class SpanCorruptionOptions
{
    /// <summary>Input text column: one document per row.</summary>
    public string TextColumnName { get; set; } = "Text";

    /// <summary>HF T5 checkpoint to continue from (config.json + model.safetensors + tokenizer.json); null = from scratch with <see cref="ModelConfig"/>. Also a Hugging Face Hub id, "org/name" or "org/name@revision" (downloaded into the Hub cache, resolved when the estimator is created).</summary>
    public string? CheckpointDirectory { get; set; }

    /// <summary>From scratch: a folder with T5's tokenizer.json (e.g. t5-small's; its sentinels &lt;extra_id_N&gt; are needed). Ignored with a checkpoint. Also a Hugging Face Hub id, "org/name" or "org/name@revision" (its tokenizer files downloaded into the Hub cache, resolved when the estimator is created).</summary>
    public string? TokenizerDirectory { get; set; }

    /// <summary>Architecture when training from scratch (vocab size and special ids are taken from the tokenizer). Default <see cref="T5Config.Tiny"/>;
    /// also <see cref="T5Config.Mini"/> and <see cref="T5Config.Small"/>.</summary>
    public T5Config ModelConfig { get; set; } = T5Config.Tiny();

    /// <summary>Which objective (T5 paper, Table 4). Default <see cref="T5Objective.ReplaceSpans"/> (span corruption).</summary>
    public T5Objective Objective { get; set; } = T5Objective.ReplaceSpans;

    /// <summary>Fraction of tokens corrupted (ReplaceSpans, DropTokens, BertStyle). Default 0.15, as T5.</summary>
    public double CorruptionRate { get; set; } = 0.15;

    /// <summary>Mean length of a corrupted span (ReplaceSpans, DropTokens). Default 3, as T5.</summary>
    public double MeanSpanLength { get; set; } = 3.0;

    /// <summary>
    /// Encoder input length the packing aims at, &lt;/s&gt; included: for ReplaceSpans each chunk holds as many raw tokens as
    /// fill exactly this many ids after corruption (T5's <c>random_spans_helper</c>); for the other objectives a chunk has
    /// InputLength − 1 tokens. Default 128.
    /// </summary>
    public int InputLength { get; set; } = 128;

    /// <summary>Passes over the packed chunks; 0 trains nothing (needs a checkpoint). Default 1.</summary>
    public int MaxEpochs { get; set; } = 1;

    /// <summary>Examples per training and validation batch. Default 16.</summary>
    public int BatchSize { get; set; } = 16;

    /// <summary>Fraction of the documents held out for validation when <see cref="ValidationSet"/> is null (0 = none). Default 0.05.</summary>
    public double ValidationFraction { get; set; } = 0.05;

    /// <summary>Validation text (same column); overrides <see cref="ValidationFraction"/>. Its corruption is drawn once, so losses compare across evaluations.</summary>
    public IDataView? ValidationSet { get; set; }

    /// <summary>TorchSharp device, e.g. "cpu" or "cuda".</summary>
    public string Device { get; set; } = "cpu";

    /// <summary>The shared training loop's settings (learning rate default here 1e-3; T5 used 1e-2 with Adafactor, AdamW wants less).</summary>
    public TrainerOptions Training { get; set; } = new() { LearningRate = 1e-3 };

    /// <summary>Output column of the fitted transformer: the generated target, e.g. "&lt;extra_id_0&gt; for inviting &lt;extra_id_1&gt; last".</summary>
    public string OutputColumnName { get; set; } = "Generated";

    /// <summary>Output column of the fitted transformer: the input text with each sentinel replaced by its generated span.</summary>
    public string FilledColumnName { get; set; } = "Filled";

    /// <summary>How the fitted transformer generates (greedy by default; MaxNewTokens, beams, cache …).</summary>
    public TextGenerationOptions Generation { get; set; } = new();
}
