using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Transformers.Training.Pretraining;

/// <summary>
/// Accumulates validation metrics of BERT pretraining over batches: masked-token accuracy, mean masked-token loss and
/// perplexity (exp of that mean, over all masked tokens seen), and next-sentence accuracy.
/// Positions labelled -100 are ignored, as by the loss.
/// </summary>
public sealed class PretrainingMetrics
{
    private long _maskedTokens;
    private long _maskedCorrect;
    private double _maskedLossSum;
    private long _sentencePairs;
    private long _sentencePairsCorrect;

    /// <summary>Number of masked (labelled) tokens seen.</summary>
    public long MaskedTokenCount => _maskedTokens;

    /// <summary>Fraction of masked tokens whose arg-max prediction is the original token (NaN before any).</summary>
    public double MaskedTokenAccuracy => _maskedTokens == 0 ? double.NaN : (double)_maskedCorrect / _maskedTokens;

    /// <summary>Mean cross-entropy (nats) over masked tokens (NaN before any).</summary>
    public double MeanMaskedTokenLoss => _maskedTokens == 0 ? double.NaN : _maskedLossSum / _maskedTokens;

    /// <summary>exp(<see cref="MeanMaskedTokenLoss"/>).</summary>
    public double Perplexity => Math.Exp(MeanMaskedTokenLoss);

    /// <summary>Number of sentence pairs seen.</summary>
    public long NextSentenceCount => _sentencePairs;

    /// <summary>Fraction of sentence pairs whose next-sentence label is predicted correctly (NaN before any).</summary>
    public double NextSentenceAccuracy => _sentencePairs == 0 ? double.NaN : (double)_sentencePairsCorrect / _sentencePairs;

    /// <summary>Adds a batch of masked-LM predictions.</summary>
    /// <param name="logits">Prediction scores, (batch, sequence, vocabulary).</param>
    /// <param name="labels">Original ids at masked positions and -100 elsewhere, (batch, sequence).</param>
    public void AddMaskedLanguageModel(Tensor logits, Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(labels);
        if (logits.dim() < 2 || !logits.shape[..^1].SequenceEqual(labels.shape))
            throw new ArgumentException(
                $"logits shape [{string.Join(", ", logits.shape)}] must be labels shape [{string.Join(", ", labels.shape)}] plus a vocabulary dimension.");
        using var scope = NewDisposeScope();
        var flatLogits = logits.reshape(-1, logits.shape[^1]).to_type(ScalarType.Float64); // (N, V)
        var flatLabels = labels.reshape(-1).to_type(ScalarType.Int64);                      // (N)
        var keep = flatLabels.ne(MaskedLanguageModelMasker.IgnoreIndex).nonzero().squeeze(1);
        long count = keep.shape[0];
        if (count == 0) return;
        var chosenLogits = flatLogits.index_select(0, keep);
        var chosenLabels = flatLabels.index_select(0, keep);
        _maskedLossSum += nn.functional.cross_entropy(chosenLogits, chosenLabels, reduction: nn.Reduction.Sum).item<double>();
        _maskedCorrect += chosenLogits.argmax(1).eq(chosenLabels).sum().item<long>();
        _maskedTokens += count;
    }

    /// <summary>Adds a batch of next-sentence predictions.</summary>
    /// <param name="logits">Scores for (IsNext, NotNext), (batch, 2).</param>
    /// <param name="labels">0 = IsNext, 1 = NotNext, -100 = ignore; (batch).</param>
    public void AddNextSentence(Tensor logits, Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(labels);
        if (logits.dim() != 2 || labels.dim() != 1 || logits.shape[0] != labels.shape[0])
            throw new ArgumentException(
                $"Next-sentence logits must be (batch, 2) and labels (batch); got [{string.Join(", ", logits.shape)}] and [{string.Join(", ", labels.shape)}].");
        using var scope = NewDisposeScope();
        var flatLabels = labels.to_type(ScalarType.Int64);
        var keep = flatLabels.ne(MaskedLanguageModelMasker.IgnoreIndex);
        _sentencePairsCorrect += logits.argmax(1).eq(flatLabels).logical_and(keep).sum().item<long>();
        _sentencePairs += keep.sum().item<long>();
    }

    /// <summary>
    /// Entropy in nats of the unigram distribution of <paramref name="tokens"/>: the expected loss of a model that always
    /// predicts unigram frequencies. A masked-LM that learned anything from context must get below it.
    /// </summary>
    public static double UnigramEntropy(IEnumerable<int> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var counts = new Dictionary<int, long>();
        long total = 0;
        foreach (int token in tokens)
        {
            counts[token] = counts.GetValueOrDefault(token) + 1;
            total++;
        }
        if (total == 0) throw new ArgumentException("Unigram entropy needs at least one token.", nameof(tokens));
        double entropy = 0;
        foreach (long c in counts.Values)
        {
            double p = (double)c / total;
            entropy -= p * Math.Log(p);
        }
        return entropy;
    }

    /// <summary>
    /// <see cref="UnigramEntropy(IEnumerable{int})"/> of the tokens the masker can choose in <paramref name="instances"/>
    /// (everything but [CLS], [SEP] and [PAD]): the masked-LM loss baseline for that data.
    /// </summary>
    internal static double UnigramEntropy(IEnumerable<PretrainingInstance> instances, SpecialTokenIds specialTokenIds)
    {
        ArgumentNullException.ThrowIfNull(instances);
        ArgumentNullException.ThrowIfNull(specialTokenIds);
        return UnigramEntropy(instances.SelectMany(i => i.InputIds).Where(id => !specialTokenIds.IsNeverMasked(id)));
    }
}
