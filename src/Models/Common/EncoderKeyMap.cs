namespace MLNet.Transformers.Models;

/// <summary>
/// How an encoder family's state-dict keys are laid out, as HF lays them out: task models keep the encoder under
/// <see cref="Prefix"/> (HF's <c>base_model_prefix</c>: "bert.", "roberta.", "distilbert.") while a bare encoder saves without
/// it; the heads sit beside it under <see cref="HeadRoots"/>.
/// </summary>
/// <param name="Prefix">The encoder's prefix inside task models, e.g. "roberta.".</param>
/// <param name="EncoderRoots">First key parts of the bare encoder, e.g. "embeddings.", "encoder.", "pooler.".</param>
/// <param name="HeadRoots">First key parts of every task head of the family (a model ignores the heads it was not built with).</param>
internal sealed record EncoderKeyMap(string Prefix, string[] EncoderRoots, string[] HeadRoots)
{
    /// <summary>A stored key in the model's key space: legacy gamma/beta renamed, the prefix added (task model) or removed (bare encoder).</summary>
    public string ToModelKey(string key, bool modelIsPrefixed)
    {
        key = CheckpointKeys.WithoutLegacyLayerNormNames(key);
        bool prefixed = key.StartsWith(Prefix, StringComparison.Ordinal);
        if (modelIsPrefixed && !prefixed && EncoderRoots.Any(r => key.StartsWith(r, StringComparison.Ordinal))) return Prefix + key;
        if (!modelIsPrefixed && prefixed) return key[Prefix.Length..];
        return key;
    }

    /// <summary>
    /// Stored tensors (model key space) a model may leave unused: heads it was not built with (and tied decoder copies under
    /// them), the <c>position_ids</c> buffer older HF versions saved, and the pooler when the model has none.
    /// </summary>
    public bool MayBeIgnored(string key, bool modelHasPooler) =>
        HeadRoots.Any(r => key.StartsWith(r, StringComparison.Ordinal))
        || key.EndsWith("position_ids", StringComparison.Ordinal)
        || (!modelHasPooler && EncoderRoots.Contains("pooler.") && key.Contains("pooler.", StringComparison.Ordinal));

    /// <summary>Whether <paramref name="modelKey"/> belongs to one of <paramref name="roots"/> (a head's keys).</summary>
    public static bool Under(string modelKey, IEnumerable<string> roots) => roots.Any(r => modelKey.StartsWith(r, StringComparison.Ordinal));
}
