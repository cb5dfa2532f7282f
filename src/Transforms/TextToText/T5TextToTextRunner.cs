using MLNet.Transformers.Models;
using MLNet.Transformers.Estimators;
using MLNet.Transformers.Generation;
using MLNet.Transformers.Models.T5;
using MLNet.Transformers.Tokenization;
using MLNet.Transformers.Training.Objectives.SpanCorruption;
using static TorchSharp.torch;

namespace MLNet.Transformers.Transforms.TextToText;

/// <summary>
/// What the T5 transformers do with a batch of sources: generation (the encoder runs once per source; the shared
/// generation loop drives the decoder through <see cref="T5ConditionalDecoder"/>, greedy, sampling or beam search, with the KV
/// cache) and teacher-forced scoring of given targets. Stateless apart from the read-only model.
/// </summary>
internal sealed class T5TextToTextRunner(T5ForConditionalGeneration model, T5Tokenizer tokenizer, Device device)
{
    /// <summary>Source ids: the text's ids + &lt;/s&gt;, cut to <paramref name="maxLength"/>.</summary>
    public int[] EncodeSource(string? text, int maxLength) => tokenizer.Encode(text ?? "", addEndOfSequence: true, maxLength: maxLength).ToArray();

    /// <summary>
    /// The new token ids (&lt;/s&gt; included when generated) for each source. Sampling draws from <paramref name="rowSeeds"/> (one per
    /// source); stop strings are matched on the decoded output.
    /// </summary>
    public int[][] Generate(IReadOnlyList<int[]> sources, TextGenerationOptions options, IReadOnlyList<long>? rowSeeds,
        CancellationToken cancellationToken = default)
    {
        if (sources.Count == 0) return [];
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var pairs = sources.Select(s => new TextToTextPair(s, [])).ToList();
        var (inputs, mask, _) = TextToTextTask.Collate(pairs, model.Config.PadTokenId, device);
        var encoded = model.Encode(inputs, mask);                                   // once per source: (B, S, d)
        var decoder = new T5ConditionalDecoder(model, encoded, mask);
        int eos = options.EosTokenId ?? model.Config.EosTokenId;
        Func<IReadOnlyList<int>, bool>? hitsStop = options.StopStrings is { Length: > 0 } stops
            ? ids => stops.Any(s => tokenizer.Decode(ids).Contains(s, StringComparison.Ordinal))
            : null;
        var prompts = sources.Select(_ => new[] { model.Config.DecoderStartTokenId }).ToArray();
        return TextGenerator.Generate(decoder, prompts, options, eos < 0 ? null : eos, model.Config.PadTokenId, hitsStop, rowSeeds, device, cancellationToken);
    }

    /// <summary>
    /// <see cref="Generate"/> over any number of source texts, <see cref="TextGenerationOptions.BatchSize"/> at a time; sampling
    /// seeds come from <paramref name="seed"/> and each source's text, so a source gets the same output in any batch.
    /// </summary>
    /// <param name="texts">The source texts.</param>
    /// <param name="maxSourceLength">Source tokens kept.</param>
    /// <param name="options">Generation settings.</param>
    /// <param name="seed">The transformer's sampling seed.</param>
    /// <param name="cancellationToken">Checked before every generated token.</param>
    /// <param name="sources">The texts already encoded with <see cref="EncodeSource"/> (length bucketing did), else null.</param>
    public int[][] GenerateAll(IReadOnlyList<string?> texts, int maxSourceLength, TextGenerationOptions options, int seed,
        CancellationToken cancellationToken = default, int[][]? sources = null)
    {
        sources ??= texts.Select(t => EncodeSource(t, maxSourceLength)).ToArray();
        var results = new List<int[]>(texts.Count);
        for (int start = 0; start < texts.Count; start += options.BatchSize)
        {
            int count = Math.Min(options.BatchSize, texts.Count - start);
            var seeds = options.DoSample ? Enumerable.Range(start, count).Select(i => TextGenerator.RowSeed(seed, texts[i] ?? "")).ToArray() : null;
            results.AddRange(Generate(sources[start..(start + count)], options, seeds, cancellationToken));
        }
        return results.ToArray();
    }

    /// <summary>Text of generated ids: &lt;/s&gt; and &lt;pad&gt; dropped, sentinels kept (so span filling stays readable).</summary>
    public string DecodeGenerated(IEnumerable<int> ids) =>
        tokenizer.Decode(ids.Where(id => id != tokenizer.EosId && id != tokenizer.PadId));

    /// <summary>Σ ln p(target token | source, previous target tokens) over each target's ids (&lt;/s&gt; included), by teacher forcing.</summary>
    public double[] TargetLogLikelihoods(IReadOnlyList<int[]> sources, IReadOnlyList<int[]> targets, int batchSize)
    {
        var results = new double[sources.Count];
        for (int start = 0; start < sources.Count; start += batchSize)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            int n = Math.Min(batchSize, sources.Count - start);
            var pairs = Enumerable.Range(start, n).Select(i => new TextToTextPair(sources[i], targets[i])).ToList();
            var batch = TextToTextTask.Collate(pairs, model.Config.PadTokenId, device);
            var logProbs = FiniteOutput.Require(TextToTextTask.Logits(model, batch), "logits").to(ScalarType.Float32).log_softmax(-1); // (B, T, V)
            var real = batch.Labels.ne(-100);
            var picked = logProbs.gather(-1, batch.Labels.clamp_min(0).unsqueeze(-1)).squeeze(-1);             // (B, T)
            var sums = picked.masked_fill(real.logical_not(), 0).to(ScalarType.Float64).sum(1).cpu().data<double>().ToArray();
            Array.Copy(sums, 0, results, start, n);
        }
        return results;
    }
}
