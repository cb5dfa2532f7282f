namespace MLNet.Transformers.Models;

/// <summary>
/// The layer-norm epsilons a config may declare: (0, 0.1]. Released checkpoints use 1e-12 to 1e-5; an epsilon near a hidden
/// state's variance (≈ 1) silently flattens every layer norm, and 1e308 becomes +∞ in float32 so every normalised vector is
/// 0 — an output that looks valid. Refused at config read, naming the field, as the other config fields are.
/// </summary>
internal static class LayerNormEpsilonRange
{
    /// <summary>Largest accepted epsilon.</summary>
    public const double Max = 0.1;

    /// <summary>Whether <paramref name="epsilon"/> is in (0, <see cref="Max"/>].</summary>
    public static bool Contains(double epsilon) => epsilon > 0 && epsilon <= Max;

    /// <summary>What a config's error says when it is not.</summary>
    public static string Problem(double epsilon) =>
        $"is {epsilon}; it must be in (0, {Max}] (released checkpoints use 1e-12 to 1e-5; a larger one flattens every layer norm)";
}
