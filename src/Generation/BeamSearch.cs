using MLNet.Transformers.Models;
using static TorchSharp.torch;

namespace MLNet.Transformers.Generation;

/// <summary>
/// Beam search as HF's <c>generate(num_beams = n)</c> without sampling: each prompt keeps n running beams scored by the sum of
/// token log-probabilities; at every step the 2n best (beam, token) continuations are considered in order, those ending in eos
/// (or a stop string) become finished hypotheses scored Σ log p / length^LengthPenalty, the best n others continue. A prompt is
/// done when it has n hypotheses and no running beam can beat the worst of them (HF's <c>early_stopping = False</c> rule).
/// </summary>
internal static class BeamSearch
{
    public static int[][] Generate(ICausalDecoder decoder, IReadOnlyList<int[]> prompts, TextGenerationOptions options, int newTokens,
        int? eosTokenId, int padTokenId, Func<IReadOnlyList<int>, bool>? hitsStopString, Device? device, CancellationToken cancellationToken)
    {
        device ??= CPU;
        int n = options.NumBeams, b = prompts.Count, rows = b * n, promptLength = prompts.Max(p => p.Length);
        var ids = new List<int>[rows];
        var mask = new List<long>[rows];
        var beams = new List<int>[rows];                                     // generated tokens of each running beam
        var scores = new double[rows];
        for (int r = 0; r < rows; r++)
        {
            var p = prompts[r / n];
            ids[r] = Enumerable.Repeat(padTokenId, promptLength - p.Length).Concat(p).ToList();
            mask[r] = Enumerable.Repeat(0L, promptLength - p.Length).Concat(Enumerable.Repeat(1L, p.Length)).ToList();
            beams[r] = [];
            scores[r] = r % n == 0 ? 0 : -1e9;                                // only beam 0 at the start: no duplicate beams
        }
        var hypotheses = Enumerable.Range(0, b).Select(_ => new List<(double Score, int[] Tokens)>()).ToArray();
        var done = new bool[b];
        using var cache = options.UseCache ? decoder.CreateCache() : null;

        for (int step = 0; step < newTokens && !done.All(d => d); step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            int fresh = cache is null || step == 0 ? ids[0].Count : 1;
            var input = tensor(ids.SelectMany(r => r.Skip(r.Count - fresh)).Select(i => (long)i).ToArray(), device: device).view(rows, fresh);
            var attention = tensor(mask.SelectMany(r => r).ToArray(), device: device).view(rows, -1);
            var logProbs = Models.FiniteOutput.Require(decoder.NextTokenLogits(input, attention, cache), "next-token logits").log_softmax(-1); // (rows, V)
            if (options.RepetitionPenalty != 1.0)
                logProbs = stack(Enumerable.Range(0, rows).Select(r =>
                    LogitsProcessing.RepetitionPenalty(logProbs[r], prompts[r / n].Concat(beams[r]), options.RepetitionPenalty)).ToArray());
            long v = logProbs.shape[1];
            var total = (logProbs + tensor(scores, device: device).unsqueeze(1)).view(b, n * v).to(ScalarType.Float64);
            var (topScores, topIndices) = total.topk(2 * n, dim: 1);
            var candidateScores = topScores.cpu().data<double>().ToArray();
            var candidateIndices = topIndices.cpu().data<long>().ToArray();

            var nextSource = new long[rows];
            var nextToken = new int[rows];
            var nextScore = new double[rows];
            for (int row = 0; row < b; row++)
            {
                int kept = 0;
                if (done[row])
                {
                    for (int j = 0; j < n; j++) { nextSource[row * n + j] = row * n; nextToken[row * n + j] = padTokenId; nextScore[row * n + j] = 0; }
                    continue;
                }
                for (int c = 0; c < 2 * n && kept < n; c++)
                {
                    long index = candidateIndices[row * 2 * n + c];
                    int source = row * n + (int)(index / v), token = (int)(index % v);
                    double score = candidateScores[row * 2 * n + c];
                    var tokens = beams[source].Append(token).ToArray();
                    if (token == eosTokenId || (hitsStopString?.Invoke(tokens) ?? false))
                    {
                        if (c < n) AddHypothesis(hypotheses[row], n, score / Math.Pow(tokens.Length, options.LengthPenalty), tokens);
                        continue;
                    }
                    nextSource[row * n + kept] = source; nextToken[row * n + kept] = token; nextScore[row * n + kept] = score;
                    kept++;
                }
                // Done when full and the best running beam cannot beat the worst hypothesis, even at this length.
                done[row] = hypotheses[row].Count >= n
                    && nextScore[row * n] / Math.Pow(beams[row * n].Count + 1, options.LengthPenalty) <= hypotheses[row].Min(h => h.Score);
            }

            var reordered = nextSource.Select(s => beams[s]).ToArray();
            var reorderedIds = nextSource.Select(s => ids[s]).ToArray();
            var reorderedMask = nextSource.Select(s => mask[s]).ToArray();
            for (int r = 0; r < rows; r++)
            {
                beams[r] = [.. reordered[r], nextToken[r]];
                ids[r] = [.. reorderedIds[r], nextToken[r]];
                mask[r] = [.. reorderedMask[r], 1L];
                scores[r] = nextScore[r];
            }
            cache?.Reorder(tensor(nextSource, device: device));
        }
        for (int row = 0; row < b; row++)
            if (!done[row])
                for (int j = 0; j < n; j++)
                    AddHypothesis(hypotheses[row], n, scores[row * n + j] / Math.Pow(Math.Max(1, beams[row * n + j].Count), options.LengthPenalty), beams[row * n + j].ToArray());
        return hypotheses.Select(h => h.OrderByDescending(x => x.Score).First().Tokens).ToArray();
    }

    private static void AddHypothesis(List<(double Score, int[] Tokens)> hypotheses, int n, double score, int[] tokens)
    {
        hypotheses.Add((score, tokens));
        if (hypotheses.Count > n) hypotheses.Remove(hypotheses.MinBy(h => h.Score));
    }
}
