using MLNet.Transformers.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Transformers.Generation;

/// <summary>
/// The autoregressive loop shared by every decoder (HF <c>generate</c>): run the prompts, pick a next token (argmax, or a
/// sample after repetition penalty/temperature/top-k/top-p; beam search when <see cref="TextGenerationOptions.NumBeams"/> &gt; 1),
/// append it, repeat until <c>MaxNewTokens</c>, the eos token or a stop string. Prompts of a batch are left-padded: the
/// attention mask hides the padding and the decoder derives positions from it, so a prompt gets the same tokens alone or in a
/// batch. With the cache, the first step runs the prompts and every later step runs one new position.
/// </summary>
internal static class TextGenerator
{
    /// <summary>Generates a continuation of each prompt; returns the new token ids (an eos token that ended a row is included).</summary>
    /// <param name="decoder">The model.</param>
    /// <param name="prompts">Token ids of each prompt (non-empty).</param>
    /// <param name="options">HF generation settings (Seed must be resolved by the caller when sampling).</param>
    /// <param name="eosTokenId">Token that ends a row, or null.</param>
    /// <param name="padTokenId">Token used for left padding (masked out).</param>
    /// <param name="hitsStopString">Given a row's new ids, says whether a stop string has appeared (null = no stop strings).</param>
    /// <param name="rowSeeds">One seed per prompt for sampling (null when not sampling).</param>
    /// <param name="device">Where to run.</param>
    /// <param name="cancellationToken">Checked before every step.</param>
    /// <exception cref="ArgumentOutOfRangeException">When the cache and logits of prompts × NumBeams rows would not fit in memory (names the option).</exception>
    /// <exception cref="OperationCanceledException">When <paramref name="cancellationToken"/> fires.</exception>
    public static int[][] Generate(ICausalDecoder decoder, IReadOnlyList<int[]> prompts, TextGenerationOptions options, int? eosTokenId,
        int padTokenId, Func<IReadOnlyList<int>, bool>? hitsStopString, IReadOnlyList<long>? rowSeeds, Device? device = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(decoder);
        options.Validate();
        if (prompts.Any(p => p.Length == 0)) throw new ArgumentException("Every prompt needs at least one token.", nameof(prompts));
        if (prompts.Count == 0 || options.MaxNewTokens == 0) return prompts.Select(_ => Array.Empty<int>()).ToArray();
        int promptLength = prompts.Max(p => p.Length), newTokens = GenerationBudget.NewTokens(decoder, promptLength, options);
        GenerationBudget.RequireFits(decoder, prompts.Count, promptLength, newTokens, options);
        if (options.NumBeams > 1)
            return BeamSearch.Generate(decoder, prompts, options, newTokens, eosTokenId, padTokenId, hitsStopString, device, cancellationToken);
        if (options.DoSample && (rowSeeds is null || rowSeeds.Count != prompts.Count))
            throw new ArgumentException("Sampling needs one seed per prompt.", nameof(rowSeeds));

        device ??= CPU;
        int b = prompts.Count;
        var ids = prompts.Select(p => Enumerable.Repeat(padTokenId, promptLength - p.Length).Concat(p).ToList()).ToArray();
        var mask = prompts.Select(p => Enumerable.Repeat(0L, promptLength - p.Length).Concat(Enumerable.Repeat(1L, p.Length)).ToList()).ToArray();
        var generated = prompts.Select(_ => new List<int>()).ToArray();
        var finished = new bool[b];
        var generators = options.DoSample ? rowSeeds!.Select(s => new Generator((ulong)s)).ToArray() : null;
        using var cache = options.UseCache ? decoder.CreateCache() : null;
        try
        {
            for (int step = 0; step < newTokens; step++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                // Without a cache (or at the first step) the whole sequence runs; afterwards only the token just appended.
                int fresh = cache is null || step == 0 ? ids[0].Count : 1;
                var input = tensor(ids.SelectMany(r => r.Skip(r.Count - fresh)).Select(i => (long)i).ToArray(), device: device).view(b, fresh);
                var attention = tensor(mask.SelectMany(r => r).ToArray(), device: device).view(b, -1);
                var logits = Models.FiniteOutput.Require(decoder.NextTokenLogits(input, attention, cache), "next-token logits"); // (B, V)
                for (int row = 0; row < b; row++)
                {
                    int next = padTokenId;
                    if (!finished[row])
                    {
                        var rowLogits = LogitsProcessing.RepetitionPenalty(logits[row], prompts[row].Concat(generated[row]), options.RepetitionPenalty);
                        next = options.DoSample ? Sample(rowLogits, options, generators![row]) : (int)rowLogits.argmax().item<long>();
                        generated[row].Add(next);
                        if (next == eosTokenId || (hitsStopString?.Invoke(generated[row]) ?? false)) finished[row] = true;
                    }
                    ids[row].Add(next);
                    mask[row].Add(1);
                }
                if (finished.All(f => f)) break;
            }
        }
        finally
        {
            if (generators is not null) foreach (var g in generators) g.Dispose();
        }
        return generated.Select(g => g.ToArray()).ToArray();
    }

    private static int Sample(Tensor logits, TextGenerationOptions options, Generator generator)
    {
        var warped = LogitsProcessing.Warp(logits, options.Temperature, options.TopK, options.TopP);
        return (int)warped.softmax(-1).multinomial(1, generator: generator).item<long>();
    }

    /// <summary>A seed for one prompt that is the same in every process (FNV-1a over the UTF-16 text, mixed with the seed; never string.GetHashCode).</summary>
    public static long RowSeed(int seed, string prompt)
    {
        ulong hash = 14695981039346656037UL ^ (uint)seed;
        foreach (char c in prompt) { hash ^= c; hash *= 1099511628211UL; }
        return (long)(hash & 0x7FFF_FFFF_FFFF_FFFFUL);
    }
}
