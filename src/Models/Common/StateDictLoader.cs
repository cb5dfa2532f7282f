using MLNet.Transformers.Checkpoints;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models;

/// <summary>What a strict load did besides copying: which model keys kept their fresh initialisation and which checkpoint keys were skipped.</summary>
/// <param name="FreshlyInitialized">Model keys absent from the checkpoint that the caller allowed to stay initialised (new task heads).</param>
/// <param name="Ignored">Checkpoint keys the model has no use for and the caller allowed to skip (heads it did not ask for, tied copies, legacy buffers).</param>
internal sealed record StateDictLoadReport(IReadOnlyList<string> FreshlyInitialized, IReadOnlyList<string> Ignored);

/// <summary>
/// Copies a checkpoint's tensors into a module key by key with shape checks (nanoGPT's <c>from_pretrained</c> idea):
/// every model key must be found unless the caller allows it to stay fresh, and every checkpoint key must be used
/// unless the caller allows it to be skipped. Anything else is an error that lists the offending keys.
/// </summary>
internal static class StateDictLoader
{
    /// <summary>Loads <paramref name="checkpoint"/> (already renamed to the model's key space) into <paramref name="model"/>.</summary>
    /// <param name="model">The module to fill; its parameters keep their dtype (f16/bf16 storage is converted).</param>
    /// <param name="checkpoint">Tensors by model key.</param>
    /// <param name="mayStayFresh">Model keys that may be missing from the checkpoint.</param>
    /// <param name="mayBeIgnored">Checkpoint keys that may be left unused.</param>
    /// <param name="source">The file or directory, for messages.</param>
    public static StateDictLoadReport Load(nn.Module model, IReadOnlyDictionary<string, Tensor> checkpoint,
        Func<string, bool> mayStayFresh, Func<string, bool> mayBeIgnored, string source)
    {
        var target = model.state_dict();
        var missing = target.Keys.Where(k => !checkpoint.ContainsKey(k)).ToList();
        var unexpected = checkpoint.Keys.Where(k => !target.ContainsKey(k)).ToList();
        var badMissing = missing.Where(k => !mayStayFresh(k)).ToList();
        var badUnexpected = unexpected.Where(k => !mayBeIgnored(k)).ToList();
        if (badMissing.Count > 0 || badUnexpected.Count > 0)
        {
            var message = $"Checkpoint '{source}' does not match the model.";
            if (badMissing.Count > 0) message += $" Missing keys ({badMissing.Count}): {string.Join(", ", badMissing)}.";
            if (badUnexpected.Count > 0) message += $" Unexpected keys ({badUnexpected.Count}): {string.Join(", ", badUnexpected)}.";
            message += " Check that config.json describes the same architecture as the weights.";
            throw new InvalidOperationException(message);
        }

        var badShapes = target.Where(kv => checkpoint.TryGetValue(kv.Key, out var t) && !t.shape.SequenceEqual(kv.Value.shape))
            .Select(kv => $"{kv.Key}: checkpoint [{string.Join(", ", checkpoint[kv.Key].shape)}] vs model [{string.Join(", ", kv.Value.shape)}]")
            .ToList();
        if (badShapes.Count > 0)
            throw new InvalidOperationException($"Checkpoint '{source}' has tensors of the wrong shape for this config: {string.Join("; ", badShapes)}.");

        // An integer or bool tensor where the model has float weights is a wrong or corrupted file, not a storage format:
        // converting it would load silently wrong weights.
        var badTypes = target.Where(kv => checkpoint.TryGetValue(kv.Key, out var t) && IsFloat(kv.Value.dtype) && !IsFloat(t.dtype))
            .Select(kv => $"{kv.Key} is {checkpoint[kv.Key].dtype}").ToList();
        if (badTypes.Count > 0)
            throw new InvalidOperationException($"Checkpoint '{source}' stores float weights as integers or booleans: {string.Join("; ", badTypes)}.");

        using (no_grad())
        {
            foreach (var (key, destination) in target)
            {
                if (!checkpoint.TryGetValue(key, out var source_)) continue;
                using var scope = NewDisposeScope();
                var converted = source_.to(destination.dtype, destination.device);
                if (!CheckpointValidation.AllowNonFiniteWeights && IsFloat(converted.dtype))
                {
                    long bad = converted.numel() - isfinite(converted).sum().item<long>();
                    if (bad > 0)
                        throw new InvalidOperationException(
                            $"Checkpoint '{source}': tensor '{key}' holds {bad} NaN or infinite value(s) (after conversion to {destination.dtype}). " +
                            $"Set {nameof(CheckpointValidation)}.{nameof(CheckpointValidation.AllowNonFiniteWeights)} = true to load it anyway.");
                }
                destination.copy_(converted);
            }
        }
        return new StateDictLoadReport(missing, unexpected);
    }

    private static bool IsFloat(ScalarType type) =>
        type is ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float32 or ScalarType.Float64;
}
