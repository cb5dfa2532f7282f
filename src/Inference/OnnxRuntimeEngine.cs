using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MLNet.Transformers.Tokenization;

namespace MLNet.Transformers.Inference;

/// <summary>
/// Runs a transformer's forward through ONNX Runtime in this process, on the graph the transformer itself exports (as
/// <c>ExportOnnx</c> writes it from its fp32 weights): the int8 graph for <see cref="Precision.Int8"/>, the fp32 graph where
/// <see cref="Precision.Auto"/> resolves to ONNX Runtime (CPUs without fast bf16, see <see cref="HostPrecision"/>). Issue 21
/// measured on an AVX2-only EPYC: libtorch fp32 at 0.65-0.90× ONNX Runtime fp32 (MLAS beats libtorch's GEMM path there),
/// int8 at 1.3-1.9×. The torch model stays beside it for saving and export. Threads follow libtorch's setting, so one knob
/// (<c>torch.set_num_threads</c> / OMP_NUM_THREADS) governs both engines.
/// </summary>
internal sealed class OnnxRuntimeEngine : IDisposable
{
    private readonly InferenceSession session;

    /// <summary>
    /// Builds the graph with <paramref name="export"/> (given a file path and whether to quantize to int8) and loads it; the
    /// file is deleted afterwards.
    /// </summary>
    public OnnxRuntimeEngine(Action<string, bool> export, bool int8)
    {
        IsInt8 = int8;
        var directory = Directory.CreateTempSubdirectory(int8 ? "mlnet-transformers-int8-" : "mlnet-transformers-fp32-");
        try
        {
            string path = Path.Combine(directory.FullName, "model.onnx");
            export(path, int8);
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

    /// <summary>
    /// The engine a transformer created with <paramref name="precision"/> on <paramref name="device"/> scores with, or null
    /// when libtorch runs its forward: int8 for <see cref="Precision.Int8"/>, fp32 where <see cref="Precision.Auto"/> resolves
    /// to ONNX Runtime on this host (CPU devices only). <paramref name="export"/> writes the graph (path, int8).
    /// </summary>
    public static OnnxRuntimeEngine? For(Precision precision, string device, Action<string, bool> export)
    {
        if (precision == Precision.Int8) return new OnnxRuntimeEngine(export, int8: true);
        bool cpu = device.StartsWith("cpu", StringComparison.OrdinalIgnoreCase);
        return precision == Precision.Auto && cpu && HostPrecision.AutoRunsOnnxRuntime ? new OnnxRuntimeEngine(export, int8: false) : null;
    }

    /// <summary>Whether the graph is the int8 one (<see cref="Precision.Int8"/>) rather than fp32.</summary>
    public bool IsInt8 { get; }

    /// <summary>
    /// Runs one padded batch and returns the float output <paramref name="output"/>, flattened row by row. Throws an
    /// <see cref="InvalidOperationException"/> naming <paramref name="what"/> if it holds NaN or infinities, as the libtorch path does.
    /// </summary>
    public float[] Run(EncodedTextBatch batch, string output, string what)
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
        var values = results[0].AsTensor<float>().ToArray();
        if (!Array.TrueForAll(values, float.IsFinite)) throw new InvalidOperationException(Models.FiniteOutput.Message(what));
        return values;
    }

    public void Dispose() => session.Dispose();
}
