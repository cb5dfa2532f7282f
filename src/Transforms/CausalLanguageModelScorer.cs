using MLNet.Transformers.Models;
using MLNet.Transformers.Models.Gpt2;
using static TorchSharp.torch;

namespace MLNet.Transformers.Transforms;

/// <summary>
/// Scores texts with a causal LM: Σ log p(token | previous tokens) (natural log) over all of a text's tokens, with
/// <c>&lt;|endoftext|&gt;</c> prepended as the first context (so the first token is scored too, as HF's GPT-2 perplexity recipe
/// with a BOS). Texts longer than the context use HF's sliding-window recipe: windows of the context size start every
/// <c>stride</c> tokens and each window scores only the tokens no earlier window scored, so every token after the first window
/// sees at least (context − stride) tokens of context. Windows of many texts run together in right-padded batches.
/// </summary>
internal sealed class CausalLanguageModelScorer(Gpt2LMHeadModel model, int beginOfTextId, int contextSize, int stride, int batchSize)
{
    /// <summary>(log-likelihood, number of scored tokens) of each text's token ids.</summary>
    public (double LogLikelihood, int TokenCount)[] Score(IReadOnlyList<int[]> texts)
    {
        var results = new (double, int)[texts.Count];
        var windows = new List<(int Text, int[] Ids, int FirstTarget)>();
        for (int t = 0; t < texts.Count; t++)
        {
            results[t] = (0.0, texts[t].Length);
            var sequence = texts[t].Prepend(beginOfTextId).ToArray();
            for (int begin = 0, scoredUpTo = 1; scoredUpTo < sequence.Length; begin += stride)
            {
                int end = Math.Min(begin + contextSize, sequence.Length);
                windows.Add((t, sequence[begin..end], Math.Max(scoredUpTo, begin + 1) - begin));
                scoredUpTo = end;
            }
        }
        var device = model.Transformer.TokenEmbeddingWeight.device;
        foreach (var chunk in windows.Chunk(batchSize))
        {
            using var scope = NewDisposeScope();
            int width = chunk.Max(w => w.Ids.Length);
            var ids = chunk.SelectMany(w => w.Ids.Concat(Enumerable.Repeat(beginOfTextId, width - w.Ids.Length))).Select(i => (long)i).ToArray();
            var mask = chunk.SelectMany(w => Enumerable.Repeat(1L, w.Ids.Length).Concat(Enumerable.Repeat(0L, width - w.Ids.Length))).ToArray();
            using var noGrad = no_grad();
            var logits = model.forward(tensor(ids, device: device).view(chunk.Length, width), tensor(mask, device: device).view(chunk.Length, width));
            var logProbs = FiniteOutput.Require(logits, "logits").to(ScalarType.Float32).log_softmax(-1);  // (B, W, V)
            // Position p predicts token p + 1.
            var targets = tensor(ids, device: device).view(chunk.Length, width)[.., 1..].unsqueeze(-1);
            var tokenLogProbs = logProbs[.., ..(width - 1), ..].gather(-1, targets).squeeze(-1).to(ScalarType.Float64).cpu(); // (B, W-1)
            for (int i = 0; i < chunk.Length; i++)
            {
                var (text, windowIds, firstTarget) = chunk[i];
                double sum = 0;
                for (int target = firstTarget; target < windowIds.Length; target++) sum += tokenLogProbs[i, target - 1].item<double>();
                results[text].Item1 += sum;
            }
        }
        return results;
    }
}
