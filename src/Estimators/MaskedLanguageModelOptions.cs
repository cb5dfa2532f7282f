using Microsoft.ML;
using MLNet.Transformers.Models.Bert;
using MLNet.Transformers.Training;
using MLNet.Transformers.Training.Pretraining;

namespace MLNet.Transformers.Estimators;

/// <summary>
/// Options of <c>mlContext.Transforms.Text.PretrainMaskedLanguageModel</c>: BERT pretraining with masked-LM (and optionally
/// next-sentence prediction) on an <see cref="IDataView"/> of text. Defaults follow the BERT paper / HF where they apply.
/// </summary>
public sealed class MaskedLanguageModelOptions
{
    /// <summary>Input text column (one document, paragraph or line per row; see <see cref="RowFormat"/>).</summary>
    public string TextColumnName { get; set; } = "Text";

    /// <summary>HF checkpoint to start from (config.json + model.safetensors + vocabulary); null trains from scratch with <see cref="ModelConfig"/>. With MaxEpochs = 0 any model_type with a masked-LM head (bert, roberta, distilbert) loads for fill-mask; training continues from any of them (roberta and distilbert: masked-LM only, so NextSentencePrediction = false; a missing MLM head starts fresh). Also a Hugging Face Hub id, "org/name" or "org/name@revision" (downloaded into the Hub cache, resolved when the estimator is created), or an encoder .onnx file.</summary>
    public string? CheckpointDirectory { get; set; }

    /// <summary>Architecture when training from scratch (its vocab size is replaced by the vocabulary's). Default: Google's BERT-Mini.</summary>
    public BertConfig ModelConfig { get; set; } = BertConfig.Mini();

    /// <summary>From scratch: a vocab.txt to use; null trains a WordPiece vocabulary of <see cref="VocabularySize"/> on the input text.</summary>
    public string? VocabularyPath { get; set; }

    /// <summary>From scratch without <see cref="VocabularyPath"/>: size of the WordPiece vocabulary to train (special tokens included).</summary>
    public int VocabularySize { get; set; } = 8000;

    /// <summary>From scratch: lower-case and strip accents (an "uncased" model).</summary>
    public bool LowerCase { get; set; } = true;

    /// <summary>Fraction of (non-special) tokens chosen for prediction.</summary>
    public double MaskProbability { get; set; } = 0.15;

    /// <summary>Of the chosen tokens, the fraction replaced by [MASK].</summary>
    public double MaskTokenFraction { get; set; } = 0.8;

    /// <summary>Of the chosen tokens, the fraction replaced by a random token (the rest stay unchanged).</summary>
    public double RandomTokenFraction { get; set; } = 0.1;

    /// <summary>Choose whole words (all their WordPiece pieces) instead of single pieces.</summary>
    public bool WholeWordMasking { get; set; }

    /// <summary>Also train next-sentence prediction (pairs built 50/50 from consecutive / random sentences); total loss = MLM + NSP.</summary>
    public bool NextSentencePrediction { get; set; } = true;

    /// <summary>How rows form documents: WikiText-style lines with <c> = Title = </c> boundaries, or one document per row.</summary>
    public CorpusRowFormat RowFormat { get; set; } = CorpusRowFormat.DocumentPerRow;

    /// <summary>Tokens per training sequence, [CLS]/[SEP] included.</summary>
    public int MaxSequenceLength { get; set; } = 128;

    /// <summary>Passes over the training data; 0 trains nothing (with a checkpoint: just load it for fill-mask). Default 1.</summary>
    public int MaxEpochs { get; set; } = 1;

    /// <summary>Sequences per batch (training, validation and fill-mask scoring). Default 32.</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>Fraction of the documents held out for validation when <see cref="ValidationSet"/> is null (0 = none).</summary>
    public double ValidationFraction { get; set; } = 0.05;

    /// <summary>Validation text (same column as the training data); overrides <see cref="ValidationFraction"/>.</summary>
    public IDataView? ValidationSet { get; set; }

    /// <summary>Arithmetic of the returned fill-mask transformer when scoring: <see cref="Precision.Auto"/> (default: bf16 where the CPU has AVX512-BF16/AMX, fp32 elsewhere), Float32 or BFloat16 (training precision is <c>Training.UseBf16</c>).</summary>
    public Precision Precision { get; set; } = Precision.Auto;

    /// <summary>TorchSharp device, e.g. "cpu" or "cuda".</summary>
    public string Device { get; set; } = "cpu";

    /// <summary>
    /// The shared training loop's settings: learning rate (default here 1e-4, BERT's pretraining rate), warmup, weight decay,
    /// clipping, accumulation, <c>MaxSteps</c>, bf16, evaluation and early stopping, resumable state, seed, progress, cancellation.
    /// </summary>
    public TrainerOptions Training { get; set; } = new() { LearningRate = 1e-4 };

    /// <summary>Candidates per [MASK] returned by the fitted fill-mask transformer.</summary>
    public int TopK { get; set; } = 5;

    /// <summary>Output column of the fill-mask transformer: the top-k tokens of each mask.</summary>
    public string FilledTokensColumnName { get; set; } = "FilledTokens";

    /// <summary>Output column of the fill-mask transformer: their probabilities.</summary>
    public string FilledScoresColumnName { get; set; } = "FilledScores";
}
