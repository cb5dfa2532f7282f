using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MLNet.Transformers.Tokenization;

namespace MLNet.Transformers.Benchmarks;

/// <summary>
/// An exported encoder run directly by ONNX Runtime: our tokenizer pads each batch to its longest row (as our transform
/// does), then one <c>InferenceSession.Run</c> per batch returns the pooled <c>embedding</c> output.
/// </summary>
internal sealed class OnnxEncoder : IDisposable
{
    private readonly InferenceSession _session;
    private readonly BertWordPieceTokenizer _tokenizer;
    private readonly int _maxLength;

    public OnnxEncoder(string path, BertWordPieceTokenizer tokenizer, int maxLength, int threads)
    {
        var options = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        _session = new InferenceSession(path, options);
        (_tokenizer, _maxLength) = (tokenizer, maxLength);
    }

    public float[][] Embed(IReadOnlyList<string> texts)
    {
        var batch = _tokenizer.EncodeBatch(texts, null, _maxLength);
        int[] shape = [batch.BatchSize, batch.SequenceLength];
        var inputs = new[]
        {
            NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(batch.InputIds, shape)),
            NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(batch.AttentionMask, shape)),
            NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(batch.TokenTypeIds, shape)),
        };
        using var results = _session.Run(inputs, ["embedding"]);
        var flat = results[0].AsTensor<float>().ToArray();
        int h = flat.Length / texts.Count;
        return Enumerable.Range(0, texts.Count).Select(i => flat.AsSpan(i * h, h).ToArray()).ToArray();
    }

    public void Dispose() => _session.Dispose();
}
