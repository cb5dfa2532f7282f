using MLNet.Transformers.Tokenization;

namespace MLNet.Transformers.Training.Objectives.SpanCorruption;

/// <summary>
/// The ids the objectives need: the sentinels (&lt;extra_id_k&gt;), &lt;/s&gt;, and the ordinary ids BERT-style
/// corruption draws random replacements from (every id that is not an added special token).
/// </summary>
internal sealed class CorruptionVocabulary
{
    private readonly int[] sentinelIds;
    private readonly Dictionary<int, int> sentinelIndex;
    private readonly int[] ordinaryIds;

    /// <summary>Creates the vocabulary from explicit ids.</summary>
    public CorruptionVocabulary(IReadOnlyList<int> sentinelIds, int eosId, IReadOnlyList<int> ordinaryIds)
    {
        if (sentinelIds.Count == 0) throw new ArgumentException("At least one sentinel id is needed.", nameof(sentinelIds));
        if (ordinaryIds.Count == 0) throw new ArgumentException("At least one ordinary id is needed.", nameof(ordinaryIds));
        this.sentinelIds = sentinelIds.ToArray();
        sentinelIndex = this.sentinelIds.Select((id, k) => (id, k)).ToDictionary(p => p.id, p => p.k);
        this.ordinaryIds = ordinaryIds.ToArray();
        EosId = eosId;
    }

    /// <summary>The sentinels, &lt;/s&gt; and ordinary ids of a T5 tokenizer.</summary>
    public static CorruptionVocabulary FromTokenizer(T5Tokenizer tokenizer) => new(
        Enumerable.Range(0, tokenizer.SentinelCount).Select(tokenizer.SentinelId).ToArray(),
        tokenizer.EosId,
        Enumerable.Range(0, tokenizer.VocabularySize).Where(id => !tokenizer.IsSpecial(id)).ToArray());

    /// <summary>Id of &lt;/s&gt;.</summary>
    public int EosId { get; }
    /// <summary>How many spans one example may replace.</summary>
    public int SentinelCount => sentinelIds.Length;

    /// <summary>Id of sentinel <paramref name="k"/>.</summary>
    public int SentinelId(int k) => k < sentinelIds.Length ? sentinelIds[k]
        : throw new InvalidOperationException($"The example needs sentinel {k} but the vocabulary has only {sentinelIds.Length}; use shorter inputs or a lower corruption rate.");

    /// <summary>The sentinel number of <paramref name="id"/>, or -1.</summary>
    public int SentinelIndex(int id) => sentinelIndex.TryGetValue(id, out var k) ? k : -1;

    /// <summary>A uniformly drawn ordinary id.</summary>
    public int RandomOrdinaryId(Random random) => ordinaryIds[random.Next(ordinaryIds.Length)];
}
