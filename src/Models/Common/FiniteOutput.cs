using static TorchSharp.torch;

namespace MLNet.Transformers.Models;

/// <summary>
/// Refuses a forward's output that became NaN or ±∞, with an error that says so, instead of handing out NaN scores. Load
/// refuses non-finite weights, but a finite weight near 3.4e38 (or a few large ones) overflows float32 inside the forward.
/// Checking the output catches every cause (weights, config, input) at the cost of one <c>isfinite</c> + sum reduction
/// over the output: O(output) against the forward's O(output · hidden · layers) — about 1e-5 of a BERT-base forward at
/// T = 128 — and no extra synchronisation, since the scorer copies the output to .NET right after.
/// </summary>
internal static class FiniteOutput
{
    /// <summary>Returns <paramref name="output"/>, or throws an <see cref="InvalidOperationException"/> naming <paramref name="what"/>.</summary>
    public static Tensor Require(Tensor output, string what)
    {
        // A count, not all().item<bool>(): libtorch refuses to read a bool scalar out of a reduction over bf16 (ScoringPrecision).
        using var finite = isfinite(output).sum();
        if (finite.item<long>() != output.numel()) throw new InvalidOperationException(Message(what));
        return output;
    }

    /// <summary>The error for a non-finite <paramref name="what"/> (also raised by the ONNX Runtime engine).</summary>
    public static string Message(string what) => $"The model's {what} holds NaN or infinite values: its weights or config overflow float32 " +
        "(a weight near ±3.4e38, for example). The checkpoint needs fixing; the output would be meaningless.";
}
