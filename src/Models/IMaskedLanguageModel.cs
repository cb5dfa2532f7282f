using static TorchSharp.torch;

namespace MLNet.Transformers.Models;

/// <summary>
/// A masked-LM of any encoder family (HF <c>AutoModelForMaskedLM</c>): what fill-mask runs. Logits come only where asked,
/// which keeps a 50k-token vocabulary affordable.
/// </summary>
internal interface IMaskedLanguageModel
{
    /// <summary>Longest input the model has positions for.</summary>
    int MaxPositions { get; }

    /// <summary>(B, T) ids, segment ids and mask → (B, T, V) logits, or (N, V) at the true positions of <paramref name="maskedPositions"/> in row-major order.</summary>
    Tensor forward(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask, Tensor? maskedPositions = null);

    /// <summary>Writes the model in its family's HF layout (config.json + model.safetensors).</summary>
    void SaveCheckpoint(string directory);
}
