using static TorchSharp.torch;

namespace MLNet.Transformers.Generation;

/// <summary>HF's logits processors and warpers, for one row's logits (V) at a time: repetition penalty, temperature, top-k, top-p.</summary>
internal static class LogitsProcessing
{
    /// <summary>CTRL's repetition penalty (HF <c>RepetitionPenaltyLogitsProcessor</c>) on the tokens in <paramref name="seen"/>.</summary>
    public static Tensor RepetitionPenalty(Tensor logits, IEnumerable<int> seen, double penalty)
    {
        if (penalty == 1.0) return logits;
        var ids = tensor(seen.Distinct().Select(i => (long)i).ToArray(), device: logits.device);
        if (ids.numel() == 0) return logits;
        var scores = logits.gather(-1, ids);
        var penalised = where(scores.lt(0), scores * penalty, scores / penalty);
        return logits.scatter(-1, ids, penalised);
    }

    /// <summary>Temperature, then top-k, then top-p (HF's warper order); filtered logits become −∞.</summary>
    public static Tensor Warp(Tensor logits, double temperature, int topK, double topP)
    {
        if (temperature != 1.0) logits = logits / temperature;
        long v = logits.shape[^1];
        if (topK > 0 && topK < v)
        {
            var kth = logits.topk(topK).values[-1];                    // the k-th largest logit
            logits = logits.masked_fill(logits.lt(kth), double.NegativeInfinity);
        }
        if (topP < 1.0)
        {
            // HF TopPLogitsWarper: sort ascending, drop the tokens whose cumulative probability stays ≤ 1 − p (always keep the top one).
            var (sorted, order) = logits.sort(-1, descending: false);
            var cumulative = sorted.softmax(-1).cumsum(-1);
            var remove = cumulative.le(1 - topP);
            remove[-1] = tensor(false);
            var removeByToken = remove.scatter(-1, order, remove);
            logits = logits.masked_fill(removeByToken, double.NegativeInfinity);
        }
        return logits;
    }
}
