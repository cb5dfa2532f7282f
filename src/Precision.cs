namespace MLNet.Transformers;

/// <summary>
/// The arithmetic a scoring transformer uses. It governs scoring only; training precision is <c>TrainerOptions.UseBf16</c>.
/// Saved with a model as chosen (so <see cref="Auto"/> stays Auto and is resolved again on the host that loads it).
/// </summary>
public enum Precision
{
    /// <summary>Everything in fp32 in libtorch, the engine that trains (the reference; matches Hugging Face to 1e-4).</summary>
    Float32,

    /// <summary>
    /// Linear layers (about 97% of a BERT forward's FLOPs at 128 tokens) multiply in bfloat16 — roughly 4× faster than
    /// fp32 on CPUs with AMX/AVX512-BF16 — while embeddings, LayerNorm, softmax, residual sums and pooling stay fp32.
    /// Last hidden states differ from fp32 by a few 1e-3 relative. On a CPU without AVX512-BF16 or AMX libtorch emulates
    /// bf16 matmuls and this is many times <em>slower</em> than fp32; prefer <see cref="Auto"/>.
    /// </summary>
    BFloat16,

    /// <summary>
    /// The default: what this process's CPU runs fastest, decided when the transformer is created or loaded —
    /// <see cref="BFloat16"/> (libtorch) where the CPU has AVX512-BF16 or AMX-BF16; elsewhere fp32, run by ONNX Runtime on the
    /// transformer's own exported fp32 graph in <c>TransformerEmbedding</c>, <c>TextClassification</c> and
    /// <c>SentenceSimilarity</c> (cross- and bi-encoder) on the CPU (ONNX Runtime's fp32 was 1.1-1.5× libtorch's on an AVX2-only EPYC, issue 21; results
    /// within ~1e-5 of <see cref="Float32"/>), and by libtorch (<see cref="Float32"/>) in the transformers without an ONNX Runtime
    /// engine (NER, question answering, fill-mask, generation) or on a GPU. The
    /// environment variable <c>MLNET_TRANSFORMERS_PRECISION</c> (<c>fp32</c> = libtorch fp32, <c>onnx-fp32</c>, <c>bf16</c> or
    /// <c>auto</c>) overrides the choice for the process; see <see cref="Inference.HostPrecision"/>. Where Auto is bf16 the
    /// transformer saves its linear weights bf16-rounded, as <see cref="BFloat16"/> does; save from a <see cref="Float32"/>
    /// transformer to keep fp32 weights.
    /// </summary>
    Auto,

    /// <summary>
    /// The linear layers dynamically quantized to int8 (per-output-channel weight scales, integer matmuls) and the forward run
    /// by ONNX Runtime inside the transformer — the graph <c>ExportOnnx(path, quantizeInt8: true)</c> writes, built again from
    /// the fp32 weights whenever the transformer is created or loaded. About 2× ONNX Runtime fp32 on AVX2 hosts (issue 21)
    /// with ~2e-2 relative error on sentence vectors. Offered by <c>TransformerEmbedding</c> and the sequence classifiers
    /// (<c>TextClassification</c>, <c>SentenceSimilarity</c>) on the CPU; the other transformers refuse it.
    /// </summary>
    Int8,
}
