namespace MLNet.Transformers;

/// <summary>
/// The arithmetic a scoring transformer uses. It governs scoring only; training precision is <c>TrainerOptions.UseBf16</c>.
/// </summary>
public enum Precision
{
    /// <summary>Everything in fp32 (the reference; matches Hugging Face to 1e-4).</summary>
    Float32,

    /// <summary>
    /// Linear layers (about 97% of a BERT forward's FLOPs at 128 tokens) multiply in bfloat16 — roughly 4× faster than
    /// fp32 on CPUs with AMX/AVX512-BF16 — while embeddings, LayerNorm, softmax, residual sums and pooling stay fp32.
    /// Last hidden states differ from fp32 by a few 1e-3 relative.
    /// </summary>
    BFloat16,
}
