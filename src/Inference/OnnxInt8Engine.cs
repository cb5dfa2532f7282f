using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MLNet.Transformers.Tokenization;

namespace MLNet.Transformers.Inference;

/// <summary>
/// The engine behind <see cref="Precision.Int8"/>: the transformer's own int8 ONNX graph (as <c>ExportOnnx(path, quantizeInt8:
/// true)</c> writes it from the fp32 weights) run by ONNX Runtime in this process. Issue 21 measured int8 through ONNX Runtime
/// at 1.3-1.9× ONNX Runtime fp32 on an AVX2-only host, where libtorch has no faster path. Threads follow libtorch's setting,
/// so one knob (<c>torch.set_num_threads</c> / OMP_NUM_THREADS) governs both engines.
/// </summary>
internal sealed class OnnxInt8Engine : IDisposable
{
    private readonly InferenceSession session;

    /// <summary>Builds the graph with <paramref name="export"/> (given a file path) and loads it; the file is deleted afterwards.</summary>
    public OnnxInt8Engine(Action<string> export)
    {
        var directory = Directory.CreateTempSubdirectory("mlnet-transformers-int8-");
        try
        {
            string path = Path.Combine(directory.FullName, "model.onnx");
            export(path);
            var options = new SessionOptions
            {
                IntraOpNumThreads = Math.Max(1, TorchSharp.torch.get_num_threads()),
                InterOpNumThreads = 1,
                ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
                GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            };
            session = new InferenceSession(File.ReadAllBytes(path), options);
        }
        finally { directory.Delete(recursive: true); }
    }

    /// <summary>Runs one padded batch and returns the float output <paramref name="output"/>, flattened row by row.</summary>
    public float[] Run(EncodedTextBatch batch, string output)
    {
        int[] shape = [batch.BatchSize, batch.SequenceLength];
        var inputs = new List<NamedOnnxValue>
        {
            NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(batch.InputIds, shape)),
            NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(batch.AttentionMask, shape)),
        };
        // DistilBERT's graph has no token_type_ids input.
        if (session.InputMetadata.ContainsKey("token_type_ids"))
            inputs.Add(NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(batch.TokenTypeIds, shape)));
        using var results = session.Run(inputs, [output]);
        return results[0].AsTensor<float>().ToArray();
    }

    public void Dispose() => session.Dispose();
}
