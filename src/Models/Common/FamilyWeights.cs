using MLNet.Transformers.Checkpoints;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models;

/// <summary>
/// Strict loading for every encoder family: stored keys are renamed to the model's key space by the family's
/// <see cref="EncoderKeyMap"/> (<see cref="CheckpointKeys.Rename"/>), then <see cref="StateDictLoader"/> checks every key
/// and shape. Called inside <see cref="ModuleDisposal.Build"/>, so a model whose weights do not load is disposed.
/// </summary>
internal static class FamilyWeights
{
    /// <param name="model">The module to fill.</param>
    /// <param name="directory">The checkpoint directory.</param>
    /// <param name="keys">The family's key layout.</param>
    /// <param name="modelIsPrefixed">True for task models (encoder under the prefix), false for a bare encoder.</param>
    /// <param name="mayStayFresh">Model keys that may be absent (fresh heads).</param>
    public static StateDictLoadReport Load(nn.Module model, string directory, EncoderKeyMap keys, bool modelIsPrefixed, Func<string, bool> mayStayFresh)
    {
        var raw = CheckpointLoader.LoadStateDict(directory);
        try { return Load(model, raw, directory, keys, modelIsPrefixed, mayStayFresh); }
        finally
        {
            foreach (var t in raw.Values) t.Dispose();
        }
    }

    /// <summary>As above, from tensors already read (the caller disposes them).</summary>
    public static StateDictLoadReport Load(nn.Module model, IReadOnlyDictionary<string, Tensor> raw, string directory, EncoderKeyMap keys,
        bool modelIsPrefixed, Func<string, bool> mayStayFresh)
    {
        var renamed = CheckpointKeys.Rename(raw, k => keys.ToModelKey(k, modelIsPrefixed), directory);
        bool modelHasPooler = model.state_dict().Keys.Any(k => k.Contains("pooler.", StringComparison.Ordinal));
        return StateDictLoader.Load(model, renamed, mayStayFresh, k => keys.MayBeIgnored(k, modelHasPooler), directory);
    }

    /// <summary>True when the checkpoint in <paramref name="directory"/> stores a tensor named <paramref name="key"/> (header only).</summary>
    public static bool Has(string directory, string key) => CheckpointShapes.Read(directory).ContainsKey(key);

    /// <summary>The config's sizes against the safetensors headers, keys seen as a bare encoder's (no tensor data is read).</summary>
    public static ConfigAgainstWeights Headers(string directory, EncoderKeyMap keys) => new(directory, k => keys.ToModelKey(k, modelIsPrefixed: false));
}
