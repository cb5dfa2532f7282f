using static TorchSharp.torch;

namespace MLNet.Transformers.Models;

/// <summary>
/// The one key-renaming step every family's loader runs: stored keys are mapped into the model's key space by the family's
/// rule (prefixes, legacy names, aliases), and two stored spellings of one key are refused, naming both, instead of one
/// silently replacing the other.
/// </summary>
internal static class CheckpointKeys
{
    /// <summary>The tensors of <paramref name="raw"/> under their model keys (the tensors are shared, not copied).</summary>
    /// <param name="raw">Tensors as stored, by stored key.</param>
    /// <param name="toModelKey">The family's renaming rule.</param>
    /// <param name="directory">The checkpoint folder (named in the error).</param>
    public static Dictionary<string, Tensor> Rename(IReadOnlyDictionary<string, Tensor> raw, Func<string, string> toModelKey, string directory)
    {
        var renamed = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (key, tensor) in raw)
        {
            var name = toModelKey(key);
            if (!renamed.TryAdd(name, tensor))
                throw new InvalidOperationException($"Checkpoint '{directory}' holds '{name}' twice (as '{key}' and another spelling).");
        }
        return renamed;
    }

    /// <summary>HF's legacy TF-converted checkpoints name LayerNorm parameters <c>gamma</c>/<c>beta</c>; today's name them weight/bias.</summary>
    public static string WithoutLegacyLayerNormNames(string key) =>
        key.EndsWith(".gamma", StringComparison.Ordinal) ? key[..^6] + ".weight"
        : key.EndsWith(".beta", StringComparison.Ordinal) ? key[..^5] + ".bias"
        : key;
}
