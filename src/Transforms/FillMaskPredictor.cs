using MLNet.Transformers.Models;
using MLNet.Transformers.Tokenization;
using static TorchSharp.torch;

namespace MLNet.Transformers.Transforms;

/// <summary>The top-k candidates for every [MASK] of one text, masks in order of appearance.</summary>
/// <param name="Tokens">k tokens for the first mask, then k for the next, … as HF's <c>token_str</c> (<c>decode([id])</c>: "paris", "##ing", " Paris").</param>
/// <param name="Scores">Their softmax probabilities, same layout.</param>
public sealed record FillMaskResult(string[] Tokens, float[] Scores);

/// <summary>
/// Fill-mask with any family's masked-LM (HF's <c>fill-mask</c> pipeline): softmax over the vocabulary at each mask token
/// ([MASK], &lt;mask&gt;) position, top-k by probability. Texts without a mask get empty results.
/// </summary>
internal sealed class FillMaskPredictor
{
    private readonly IMaskedLanguageModel model;
    private readonly nn.Module module;
    private readonly IEncoderTokenizer tokenizer;
    private readonly int topK;
    private readonly int maxSequenceLength;

    /// <summary>A predictor over <paramref name="model"/>, whose weights live in <paramref name="module"/> (the same object, or the module a view such as <see cref="BertMaskedLanguageModel"/> wraps).</summary>
    public FillMaskPredictor(IMaskedLanguageModel model, nn.Module module, IEncoderTokenizer tokenizer, int topK, int maxSequenceLength)
    {
        if (topK < 1) throw new ArgumentOutOfRangeException(nameof(topK), topK, "TopK must be at least 1.");
        if (topK > tokenizer.VocabularySize) throw new ArgumentOutOfRangeException(nameof(topK), topK, $"TopK must not exceed the vocabulary size ({tokenizer.VocabularySize}).");
        this.model = model;
        this.module = module;
        this.tokenizer = tokenizer;
        this.topK = topK;
        this.maxSequenceLength = maxSequenceLength;
    }

    /// <summary>Predicts the masks of a batch of texts (<paramref name="encoded"/>: the texts already encoded, e.g. by length bucketing).</summary>
    public FillMaskResult[] Predict(IReadOnlyList<string> texts, EncodedTextBatch? encoded = null)
    {
        var batch = encoded ?? tokenizer.EncodeBatch(texts, null, maxSequenceLength);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        module.eval();
        var device = module.parameters().First().device;
        var shape = new long[] { batch.BatchSize, batch.SequenceLength };
        var ids = tensor(batch.InputIds, shape, device: device);
        var masked = ids.eq(tokenizer.MaskTokenId);                                 // (B, T)
        var results = new FillMaskResult[texts.Count];
        if (!masked.any().item<bool>())
        {
            Array.Fill(results, new FillMaskResult(Array.Empty<string>(), Array.Empty<float>()));
            return results;
        }
        var output = model.forward(ids, tensor(batch.TokenTypeIds, shape, device: device),
            tensor(batch.AttentionMask, shape, device: device), masked);
        FiniteOutput.Require(output, "logits");
        var probabilities = nn.functional.softmax(output.to(ScalarType.Float32), dim: -1); // (N, V), masks in row-major order
        var (values, indices) = probabilities.topk(topK, dim: -1);
        var scores = values.cpu().data<float>().ToArray();
        var tokenIds = indices.cpu().data<long>().ToArray();

        int next = 0; // index of the next mask row in the (N, k) results
        var maskCounts = masked.sum(1).cpu().data<long>().ToArray();
        for (int row = 0; row < texts.Count; row++)
        {
            int n = (int)maskCounts[row] * topK;
            results[row] = new FillMaskResult(
                tokenIds[next..(next + n)].Select(id => tokenizer.TokenText((int)id)).ToArray(),
                scores[next..(next + n)]);
            next += n;
        }
        return results;
    }
}
