using MLNet.Transformers.Models.Bert;

namespace MLNet.Transformers.Benchmarks;

/// <summary>Floating-point operations of a BERT encoder forward pass (multiply-add = 2 FLOPs).</summary>
internal static class Flops
{
    /// <summary>FLOPs to encode one sequence of <paramref name="tokens"/> tokens (embeddings, LayerNorms and softmax are negligible and not counted).</summary>
    public static double BertForwardPerSequence(BertConfig c, int tokens)
    {
        double h = c.HiddenSize, i = c.IntermediateSize, t = tokens;
        double projections = 4 * h * h;          // query, key, value, attention output
        double feedForward = 2 * h * i;          // intermediate and output dense
        double attention = 2 * t * h;            // q·kᵀ and probs·v, per query token
        return 2 * c.NumHiddenLayers * t * (projections + feedForward + attention);
    }
}
