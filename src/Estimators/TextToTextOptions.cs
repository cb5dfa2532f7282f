using Microsoft.ML;
using MLNet.Transformers.Training;

namespace MLNet.Transformers.Estimators;

/// <summary>
/// Options of <c>mlContext.Transforms.Text.TextToText</c>: fine-tuning a T5 checkpoint on (source, target) text pairs with
/// teacher forcing, and generation for each source. The columns and the checkpoint are the catalog method's arguments.
/// </summary>
public sealed class TextToTextOptions
{
    /// <summary>Passes over the training pairs; 0 uses the checkpoint as it is (no target column needed). Default 3.</summary>
    public int MaxEpochs { get; set; } = 3;

    /// <summary>Pairs per training and validation batch, and rows per teacher-forced scoring batch. Default 16.</summary>
    public int BatchSize { get; set; } = 16;

    /// <summary>Source ids per row including &lt;/s&gt; (longer sources are cut, as HF's <c>truncation=True</c>). Default 512.</summary>
    public int MaxSourceLength { get; set; } = 512;

    /// <summary>Target ids per row including &lt;/s&gt; (training labels and the scored target are cut to this). Default 128.</summary>
    public int MaxTargetLength { get; set; } = 128;

    /// <summary>
    /// How the fitted transformer generates: greedy by default, beam search with <see cref="TextGenerationOptions.NumBeams"/>,
    /// sampling, <see cref="TextGenerationOptions.MaxNewTokens"/>, the KV cache and
    /// <see cref="TextGenerationOptions.GeneratedTokenIdsColumnName"/>. Generation starts from the config's
    /// <c>decoder_start_token_id</c> and stops after <c>eos_token_id</c> (&lt;/s&gt;). Its <c>BatchSize</c> is the number of
    /// sources generated together; its <c>Device</c> is not used (see <see cref="Device"/>).
    /// </summary>
    public TextGenerationOptions Generation { get; set; } = new();

    /// <summary>
    /// When set, the fitted transformer also outputs this float column: Σ ln p(target token | source, previous target tokens)
    /// over the target's tokens including &lt;/s&gt; (teacher forcing). NaN when the data has no target column. Default null.
    /// </summary>
    public string? TargetLogLikelihoodColumnName { get; set; }

    /// <summary>Validation pairs (same columns as the training data): the validation loss is reported and drives
    /// <see cref="TrainerOptions.RestoreBestWeights"/> and early stopping. Default null (none).</summary>
    public IDataView? ValidationSet { get; set; }

    /// <summary>TorchSharp device for training and generation, e.g. "cpu" or "cuda".</summary>
    public string Device { get; set; } = "cpu";

    /// <summary>The shared training loop's settings (learning rate default here 3e-4, a common T5 fine-tuning rate with AdamW).</summary>
    public TrainerOptions Training { get; set; } = new() { LearningRate = 3e-4 };
}
