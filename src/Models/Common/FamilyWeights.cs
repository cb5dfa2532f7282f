using MLNet.Transformers.Checkpoints;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models;

/// <summary>
/// Strict loading for encoder families whose task models keep the encoder under a prefix (<c>roberta.</c>,
/// <c>distilbert.</c>) while a bare encoder saves without it (as HF's <c>save_pretrained</c> does): keys are renamed to the
/// model's key space (legacy <c>gamma/beta</c> included), then <see cref="StateDictLoader"/> checks every key and shape.
/// </summary>
internal static class FamilyWeights
{
    /// <param name="model">The module to fill.</param>
    /// <param name="directory">The checkpoint directory.</param>
    /// <param name="prefix">The family's encoder prefix, e.g. "roberta.".</param>
    /// <param name="encoderRoots">First key parts of the bare encoder, e.g. "embeddings.", "encoder.".</param>
    /// <param name="modelIsPrefixed">True for task models (encoder under <paramref name="prefix"/>), false for a bare encoder.</param>
    /// <param name="mayStayFresh">Model keys that may be absent (fresh heads).</param>
    /// <param name="mayBeIgnored">Checkpoint keys (in the model's key space) this model has no use for (other heads, tied copies).</param>
    public static StateDictLoadReport Load(nn.Module model, string directory, string prefix, string[] encoderRoots, bool modelIsPrefixed,
        Func<string, bool> mayStayFresh, Func<string, bool> mayBeIgnored)
    {
        var raw = CheckpointLoader.LoadStateDict(directory);
        try
        {
            var renamed = new Dictionary<string, Tensor>();
            foreach (var (key, tensor) in raw)
            {
                var name = Rename(key, prefix, encoderRoots, modelIsPrefixed);
                if (!renamed.TryAdd(name, tensor))
                    throw new InvalidOperationException($"Checkpoint '{directory}' holds '{name}' twice (as '{key}' and another spelling).");
            }
            return StateDictLoader.Load(model, renamed, mayStayFresh, k => k.EndsWith("position_ids", StringComparison.Ordinal) || mayBeIgnored(k), directory);
        }
        finally
        {
            foreach (var t in raw.Values) t.Dispose();
        }
    }

    /// <summary>True when the checkpoint in <paramref name="directory"/> stores a tensor named <paramref name="key"/> (header only).</summary>
    public static bool Has(string directory, string key) => CheckpointShapes.Read(directory).ContainsKey(key);

    private static string Rename(string key, string prefix, string[] encoderRoots, bool modelIsPrefixed)
    {
        if (key.EndsWith(".gamma", StringComparison.Ordinal)) key = key[..^6] + ".weight";
        else if (key.EndsWith(".beta", StringComparison.Ordinal)) key = key[..^5] + ".bias";
        bool prefixed = key.StartsWith(prefix, StringComparison.Ordinal);
        if (modelIsPrefixed && !prefixed && encoderRoots.Any(r => key.StartsWith(r, StringComparison.Ordinal))) return prefix + key;
        if (!modelIsPrefixed && prefixed) return key[prefix.Length..];
        return key;
    }
}
