using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Transformers.Training;

/// <summary>
/// AdamW (Loshchilov &amp; Hutter) with decoupled weight decay and a name-based no-decay rule; the update is the
/// one of PyTorch's <c>torch.optim.AdamW</c> (non-amsgrad). Written here rather than using TorchSharp's so the
/// loop owns the moment buffers (checkpointing, fp32 masters for bf16) and the decay groups are explicit. Contiguous CPU
/// parameters are updated by <see cref="AdamWKernel"/> in one pass each (clipping's scale, a bf16 gradient and the bf16 model
/// copy folded in); anything else takes the same update as libtorch ops.
/// </summary>
internal sealed class AdamW : IDisposable
{
    private readonly List<Slot> _slots = new();
    private readonly double _beta1, _beta2, _epsilon, _weightDecay;

    private sealed class Slot(string name, Tensor parameter, bool decayed)
    {
        public string Name { get; } = name;
        public Tensor Parameter { get; } = parameter;
        public bool Decayed { get; } = decayed;
        public Tensor M { get; } = zeros_like(parameter).DetachFromDisposeScope();
        public Tensor V { get; } = zeros_like(parameter).DetachFromDisposeScope();
        public long Steps { get; set; }
    }

    /// <summary>Creates the optimizer over named fp32 parameters (the tensors are updated in place).</summary>
    public AdamW(IEnumerable<(string Name, Tensor Parameter)> parameters, double beta1 = 0.9, double beta2 = 0.999,
        double epsilon = 1e-8, double weightDecay = 0.01)
    {
        _beta1 = beta1; _beta2 = beta2; _epsilon = epsilon; _weightDecay = weightDecay;
        using (no_grad())
            foreach (var (name, p) in parameters)
                _slots.Add(new Slot(name, p, IsDecayed(name)));
    }

    /// <summary>
    /// Whether weight decay applies to a parameter, by name (the BERT/HF convention): no decay for names ending in
    /// "bias", or containing "LayerNorm", "layer_norm" or "ln_" (GPT-2's ln_1/ln_2/ln_f); decay for everything else.
    /// </summary>
    public static bool IsDecayed(string parameterName) =>
        !(parameterName.EndsWith("bias", StringComparison.Ordinal)
          || parameterName.Contains("LayerNorm", StringComparison.Ordinal)
          || parameterName.Contains("layer_norm", StringComparison.Ordinal)
          || parameterName.Contains("ln_", StringComparison.Ordinal));

    /// <summary>The parameters in optimizer order.</summary>
    public IReadOnlyList<(string Name, Tensor Parameter)> Parameters => _slots.Select(s => (s.Name, s.Parameter)).ToList();

    /// <summary>Whether contiguous CPU parameters take the fused one-pass kernel (<see cref="AdamWKernel"/>); false = libtorch ops only (tests compare the two).</summary>
    internal bool UseFusedKernel { get; init; } = true;

    /// <summary>
    /// One update with learning rate <paramref name="learningRate"/>; <paramref name="gradients"/> align with <see cref="Parameters"/>
    /// (null = skip, as PyTorch does) and may be fp32 or bfloat16. <paramref name="gradientScale"/> multiplies every gradient
    /// first (clipping's factor; the gradient tensors are left as they are). <paramref name="bf16Copies"/>, when given, are
    /// bfloat16 tensors aligned with the parameters that receive each updated parameter rounded to bf16 (the bf16 model).
    /// </summary>
    public void Step(double learningRate, IReadOnlyList<Tensor?> gradients, double gradientScale = 1, IReadOnlyList<Tensor>? bf16Copies = null)
    {
        if (gradients.Count != _slots.Count) throw new ArgumentException($"Expected {_slots.Count} gradients, got {gradients.Count}.");
        if (bf16Copies is not null && bf16Copies.Count != _slots.Count) throw new ArgumentException($"Expected {_slots.Count} bf16 copies, got {bf16Copies.Count}.");
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var fused = new List<(Slot Slot, Tensor Gradient, Tensor? Copy)>();
        for (int i = 0; i < _slots.Count; i++)
        {
            var g = gradients[i];
            if (g is null) continue;
            var s = _slots[i];
            s.Steps++;
            var copy = bf16Copies?[i];
            if (UseFusedKernel && CanFuse(s, g, copy)) fused.Add((s, g, copy));
            else ReferenceUpdate(s, g, learningRate, gradientScale, copy);
        }
        if (fused.Count > 0) FusedUpdate(fused, learningRate, gradientScale);
    }

    // torch.optim.AdamW's single-tensor update as libtorch ops: the definition the fused kernel follows.
    private void ReferenceUpdate(Slot s, Tensor g, double learningRate, double gradientScale, Tensor? copy)
    {
        if (g.dtype != s.Parameter.dtype) g = g.to(s.Parameter.dtype);
        if (gradientScale != 1) g = g * gradientScale;
        if (s.Decayed && _weightDecay != 0) s.Parameter.mul_(1 - learningRate * _weightDecay);
        s.M.mul_(_beta1).add_(g, alpha: 1 - _beta1);
        s.V.mul_(_beta2).addcmul_(g, g, value: 1 - _beta2);
        double correction1 = 1 - Math.Pow(_beta1, s.Steps);
        double correction2 = 1 - Math.Pow(_beta2, s.Steps);
        var denominator = (s.V.sqrt() / Math.Sqrt(correction2)).add_(_epsilon);
        s.Parameter.addcdiv_(s.M, denominator, value: -learningRate / correction1);
        copy?.copy_(s.Parameter);
    }

    private static bool CanFuse(Slot s, Tensor g, Tensor? copy) =>
        TensorMemory.IsAddressable(s.Parameter, ScalarType.Float32)
        && (TensorMemory.IsAddressable(g, ScalarType.Float32) || TensorMemory.IsAddressable(g, ScalarType.BFloat16))
        && g.numel() == s.Parameter.numel()
        && (copy is null || (TensorMemory.IsAddressable(copy, ScalarType.BFloat16) && copy.numel() == s.Parameter.numel()));

    private unsafe void FusedUpdate(List<(Slot Slot, Tensor Gradient, Tensor? Copy)> work, double learningRate, double gradientScale)
    {
        var pointers = new (nint P, nint M, nint V, nint G32, nint G16, nint Copy)[work.Count];
        var coefficients = new AdamWKernel.Coefficients[work.Count];
        var lengths = new long[work.Count];
        for (int k = 0; k < work.Count; k++)
        {
            var (s, g, copy) = work[k];
            bool bf16Gradient = g.dtype == ScalarType.BFloat16;
            pointers[k] = ((nint)TensorMemory.Pointer(s.Parameter), (nint)TensorMemory.Pointer(s.M), (nint)TensorMemory.Pointer(s.V),
                bf16Gradient ? 0 : (nint)TensorMemory.Pointer(g), bf16Gradient ? (nint)TensorMemory.Pointer(g) : 0,
                copy is null ? 0 : (nint)TensorMemory.Pointer(copy));
            double correction1 = 1 - Math.Pow(_beta1, s.Steps);
            double correction2 = 1 - Math.Pow(_beta2, s.Steps);
            coefficients[k] = new AdamWKernel.Coefficients(
                Decay: s.Decayed && _weightDecay != 0 ? (float)(1 - learningRate * _weightDecay) : 1f,
                Beta1: (float)_beta1, OneMinusBeta1: (float)(1 - _beta1), Beta2: (float)_beta2, OneMinusBeta2: (float)(1 - _beta2),
                SqrtCorrection2: (float)Math.Sqrt(correction2), Epsilon: (float)_epsilon,
                StepSize: (float)(-learningRate / correction1), GradientScale: (float)gradientScale);
            lengths[k] = s.Parameter.numel();
        }
        TensorMemory.ForEachChunk(lengths, (_, k, start, count) =>
        {
            var q = pointers[k];
            AdamWKernel.Update((float*)q.P + start, (float*)q.M + start, (float*)q.V + start,
                q.G32 == 0 ? null : (float*)q.G32 + start, q.G16 == 0 ? null : (ushort*)q.G16 + start,
                q.Copy == 0 ? null : (ushort*)q.Copy + start, count, coefficients[k]);
        });
        GC.KeepAlive(work);
    }

    /// <summary>Moment buffers and step counts, for checkpoints.</summary>
    internal IEnumerable<(string Name, Tensor M, Tensor V, long Steps)> State => _slots.Select(s => (s.Name, s.M, s.V, s.Steps));

    internal void SetSteps(string name, long steps) => _slots.Single(s => s.Name == name).Steps = steps;

    /// <summary>Frees the moment buffers.</summary>
    public void Dispose()
    {
        foreach (var s in _slots) { s.M.Dispose(); s.V.Dispose(); }
        _slots.Clear();
    }
}
