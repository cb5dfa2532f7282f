namespace MLNet.Transformers.Training.Pretraining;

/// <summary>
/// Builds next-sentence-prediction instances <c>[CLS] A [SEP] B [SEP]</c> from documents of tokenized sentences,
/// in the spirit of Google BERT's <c>create_instances_from_document</c>.
/// </summary>
/// <remarks>
/// <para>For each document, consecutive sentences are gathered until they reach a target length (the maximum, or with
/// probability <see cref="NextSentencePairBuilderOptions.ShortSequenceProbability"/> a random shorter one, drawn per
/// instance). A = the first 1..k-1 of those sentences (random split point). With probability 1/2, B = the rest of them
/// (label 0, IsNext); otherwise B = consecutive sentences from a random position of a random <em>other</em> document
/// (label 1, NotNext), and the unused sentences are put back for the next instance, so no text is skipped.</para>
/// <para>Where Google's script always makes a random B when only one sentence was gathered (which skews labels towards
/// NotNext), this builder keeps the 50/50 split: it takes the following sentence as B, or, for the last sentence of a
/// document, pairs it as B with the sentence before it. Only a single-sentence document can force a random B.</para>
/// <para>Truncation is Google's: remove one token at a time from the longer segment, from its front or its back with
/// equal probability, until <c>|A| + |B| &lt;= MaxSequenceLength - 3</c>.</para>
/// <para>Empty sentences are ignored; documents without sentences are skipped. Deterministic for a seeded <see cref="Random"/>.</para>
/// </remarks>
internal sealed class NextSentencePairBuilder
{
    private readonly SpecialTokenIds _special;
    private readonly NextSentencePairBuilderOptions _options;

    /// <summary>Creates a builder that uses the [CLS]/[SEP] ids of <paramref name="specialTokenIds"/>.</summary>
    public NextSentencePairBuilder(SpecialTokenIds specialTokenIds, NextSentencePairBuilderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(specialTokenIds);
        _special = specialTokenIds;
        _options = options ?? new NextSentencePairBuilderOptions();
        _options.Validate();
    }

    /// <summary>Builds the instances of all documents, in document order.</summary>
    /// <param name="documents">Each document is its ordered sentences, each sentence its token ids (no special tokens).</param>
    /// <param name="random">Source of randomness (split points, labels, other documents, truncation side).</param>
    /// <exception cref="ArgumentException">Fewer than two non-empty documents (a random B needs another document).</exception>
    public IReadOnlyList<PretrainingInstance> Build(IReadOnlyList<IReadOnlyList<int[]>> documents, Random random)
    {
        ArgumentNullException.ThrowIfNull(documents);
        ArgumentNullException.ThrowIfNull(random);
        var docs = documents
            .Select(d => (IReadOnlyList<int[]>)d.Where(s => s.Length > 0).ToList())
            .Where(d => d.Count > 0)
            .ToList();
        if (docs.Count < 2)
            throw new ArgumentException(
                $"Next-sentence prediction needs at least two non-empty documents (for random B segments), got {docs.Count}.", nameof(documents));

        var instances = new List<PretrainingInstance>();
        for (int d = 0; d < docs.Count; d++)
            BuildFromDocument(docs, d, random, instances);
        return instances;
    }

    private void BuildFromDocument(List<IReadOnlyList<int[]>> docs, int d, Random random, List<PretrainingInstance> instances)
    {
        var doc = docs[d];
        int maxTokens = _options.MaxSequenceLength - 3; // [CLS] A [SEP] B [SEP]
        var chunk = new List<int[]>();
        int chunkLength = 0;
        int target = DrawTargetLength(maxTokens, random);
        for (int i = 0; i < doc.Count; i++)
        {
            chunk.Add(doc[i]);
            chunkLength += doc[i].Length;
            if (i < doc.Count - 1 && chunkLength < target)
                continue;

            int aEnd = chunk.Count >= 2 ? random.Next(1, chunk.Count) : 1;
            var a = chunk.Take(aEnd).SelectMany(s => s).ToList();
            var b = new List<int>();
            bool randomNext = random.NextDouble() < _options.RandomNextProbability;
            if (!randomNext)
            {
                if (chunk.Count >= 2)
                    b.AddRange(chunk.Skip(aEnd).SelectMany(s => s));
                else if (i + 1 < doc.Count)
                    b.AddRange(doc[++i]); // the single gathered sentence was long: B = the sentence after it
                else if (i >= 1)
                    (a, b) = (doc[i - 1].ToList(), doc[i].ToList()); // last sentence alone: pair it with the one before
                else
                    randomNext = true; // single-sentence document: no true continuation exists
            }
            if (randomNext)
            {
                int targetB = Math.Max(1, target - a.Count);
                var other = docs[RandomOtherDocument(docs.Count, d, random)];
                for (int j = random.Next(other.Count); j < other.Count && b.Count < targetB; j++)
                    b.AddRange(other[j]);
                i -= chunk.Count - aEnd; // put the unused sentences back
            }

            Truncate(a, b, maxTokens, random);
            instances.Add(Assemble(a, b, randomNext ? PretrainingInstance.NotNext : PretrainingInstance.IsNext));
            chunk.Clear();
            chunkLength = 0;
            target = DrawTargetLength(maxTokens, random);
        }
    }

    private int DrawTargetLength(int maxTokens, Random random) =>
        random.NextDouble() < _options.ShortSequenceProbability ? random.Next(2, maxTokens + 1) : maxTokens;

    // Uniform over all documents except `current`.
    private static int RandomOtherDocument(int count, int current, Random random)
    {
        int other = random.Next(count - 1);
        return other >= current ? other + 1 : other;
    }

    // Google's truncate_seq_pair: shorten the longer segment, from the front or the back at random.
    private static void Truncate(List<int> a, List<int> b, int maxTokens, Random random)
    {
        while (a.Count + b.Count > maxTokens)
        {
            var longer = a.Count > b.Count ? a : b;
            if (random.NextDouble() < 0.5) longer.RemoveAt(0);
            else longer.RemoveAt(longer.Count - 1);
        }
    }

    private PretrainingInstance Assemble(List<int> a, List<int> b, int label)
    {
        int length = a.Count + b.Count + 3;
        var ids = new int[length];
        var types = new int[length];
        int k = 0;
        ids[k++] = _special.Cls;
        foreach (int t in a) ids[k++] = t;
        ids[k++] = _special.Sep;
        int bStart = k;
        foreach (int t in b) ids[k++] = t;
        ids[k++] = _special.Sep;
        Array.Fill(types, 1, bStart, length - bStart);
        return new PretrainingInstance(ids, types, label);
    }
}
