using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Transformers.Training.Pretraining;

/// <summary>
/// A padded, masked batch of <see cref="PretrainingInstance"/>s as int64 tensors, named like Hugging Face
/// <c>BertForPreTraining</c>'s inputs. Owns its tensors: dispose it after the step.
/// </summary>
/// <remarks>
/// Masking happens here, per batch (dynamic masking, like HF's data collator): the same instance gets new masks each
/// epoch. Rows are padded with [PAD] (attention mask 0, token type 0, label -100) to the longest row or to a fixed length.
/// </remarks>
internal sealed class PretrainingBatch : IDisposable
{
    private PretrainingBatch(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask, Tensor labels, Tensor? nextSentenceLabels)
    {
        InputIds = inputIds;
        TokenTypeIds = tokenTypeIds;
        AttentionMask = attentionMask;
        Labels = labels;
        NextSentenceLabels = nextSentenceLabels;
    }

    /// <summary><c>input_ids</c> after masking, (batch, sequence) int64.</summary>
    public Tensor InputIds { get; }

    /// <summary><c>token_type_ids</c>, (batch, sequence) int64: 0 for segment A, 1 for segment B.</summary>
    public Tensor TokenTypeIds { get; }

    /// <summary><c>attention_mask</c>, (batch, sequence) int64: 1 for tokens, 0 for padding.</summary>
    public Tensor AttentionMask { get; }

    /// <summary>Masked-LM <c>labels</c>, (batch, sequence) int64: the original id at masked positions, -100 elsewhere.</summary>
    public Tensor Labels { get; }

    /// <summary><c>next_sentence_label</c>, (batch) int64 (0 = IsNext, 1 = NotNext), or null for single-segment instances.</summary>
    public Tensor? NextSentenceLabels { get; }

    /// <summary>Number of rows.</summary>
    public long BatchSize => InputIds.shape[0];

    /// <summary>Number of positions per row (after padding).</summary>
    public long SequenceLength => InputIds.shape[1];

    /// <summary>Pads, masks and converts instances to tensors.</summary>
    /// <param name="instances">The rows; all sentence pairs or all single segments (mixing is an error).</param>
    /// <param name="specialTokenIds">Provides the [PAD] id.</param>
    /// <param name="masker">Chooses the masked-LM positions.</param>
    /// <param name="random">Source of randomness for the masker.</param>
    /// <param name="isContinuationPiece">
    /// For whole-word masking: true for ids that continue a word (WordPiece "##" pieces). Required when the masker
    /// uses whole-word masking, ignored otherwise.
    /// </param>
    /// <param name="padToLength">Pad every row to this length instead of to the longest row.</param>
    /// <param name="device">Where to put the tensors (default CPU).</param>
    public static PretrainingBatch Create(
        IReadOnlyList<PretrainingInstance> instances,
        SpecialTokenIds specialTokenIds,
        MaskedLanguageModelMasker masker,
        Random random,
        Func<int, bool>? isContinuationPiece = null,
        int? padToLength = null,
        Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(instances);
        ArgumentNullException.ThrowIfNull(specialTokenIds);
        ArgumentNullException.ThrowIfNull(masker);
        if (instances.Count == 0) throw new ArgumentException("A batch needs at least one instance.", nameof(instances));
        if (masker.Options.WholeWordMasking && isContinuationPiece is null)
            throw new ArgumentException("The masker uses whole-word masking: pass isContinuationPiece (true for '##' pieces).", nameof(isContinuationPiece));

        int longest = instances.Max(i => i.Length);
        int length = padToLength ?? longest;
        if (length < longest)
            throw new ArgumentException($"padToLength {length} is shorter than the longest instance ({longest} tokens).", nameof(padToLength));
        int pairs = instances.Count(i => i.NextSentenceLabel != PretrainingInstance.NoNextSentenceLabel);
        if (pairs != 0 && pairs != instances.Count)
            throw new ArgumentException($"Mixed batch: {pairs} of {instances.Count} instances have a next-sentence label; use all pairs or all single segments.", nameof(instances));

        int rows = instances.Count;
        var ids = new long[rows * length];
        var types = new long[rows * length];
        var attention = new long[rows * length];
        var wordStarts = masker.Options.WholeWordMasking ? new bool[rows * length] : null;
        Array.Fill(ids, specialTokenIds.Pad);
        for (int r = 0; r < rows; r++)
        {
            var instance = instances[r];
            if (instance.TokenTypeIds.Length != instance.InputIds.Length)
                throw new ArgumentException($"Instance {r} has {instance.InputIds.Length} input ids but {instance.TokenTypeIds.Length} token type ids.", nameof(instances));
            for (int t = 0; t < instance.Length; t++)
            {
                int k = r * length + t;
                ids[k] = instance.InputIds[t];
                types[k] = instance.TokenTypeIds[t];
                attention[k] = 1;
                if (wordStarts is not null) wordStarts[k] = !isContinuationPiece!(instance.InputIds[t]);
            }
        }

        var masked = masker.Mask(ids, rows, length, attention, random, wordStarts);
        device ??= CPU;
        long[] shape = [rows, length];
        return new PretrainingBatch(
            tensor(masked.InputIds, shape, device: device),
            tensor(types, shape, device: device),
            tensor(attention, shape, device: device),
            tensor(masked.Labels, shape, device: device),
            pairs == 0 ? null : tensor(instances.Select(i => (long)i.NextSentenceLabel).ToArray(), device: device));
    }

    /// <summary>Disposes the tensors.</summary>
    public void Dispose()
    {
        InputIds.Dispose();
        TokenTypeIds.Dispose();
        AttentionMask.Dispose();
        Labels.Dispose();
        NextSentenceLabels?.Dispose();
    }
}
