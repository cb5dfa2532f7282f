using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Transformers.Training;

/// <summary>
/// AdamW (Loshchilov &amp; Hutter) with decoupled weight decay and a name-based no-decay rule; the update is the
/// one of PyTorch's <c>torch.optim.AdamW</c> (non-amsgrad). Written here rather than using TorchSharp's so the
/// loop owns the moment buffers (checkpointing, fp32 masters for bf16) and the decay groups are explicit.
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

    /// <summary>One update with learning rate <paramref name="learningRate"/>; <paramref name="gradients"/> align with <see cref="Parameters"/> (null = skip, as PyTorch does).</summary>
    public void Step(double learningRate, IReadOnlyList<Tensor?> gradients)
    {
        if (gradients.Count != _slots.Count) throw new ArgumentException($"Expected {_slots.Count} gradients, got {gradients.Count}.");
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        for (int i = 0; i < _slots.Count; i++)
        {
            var g = gradients[i];
            if (g is null) continue;
            var s = _slots[i];
            s.Steps++;
            if (s.Decayed && _weightDecay != 0) s.Parameter.mul_(1 - learningRate * _weightDecay);
            s.M.mul_(_beta1).add_(g, alpha: 1 - _beta1);
            s.V.mul_(_beta2).addcmul_(g, g, value: 1 - _beta2);
            double correction1 = 1 - Math.Pow(_beta1, s.Steps);
            double correction2 = 1 - Math.Pow(_beta2, s.Steps);
            var denominator = (s.V.sqrt() / Math.Sqrt(correction2)).add_(_epsilon);
            s.Parameter.addcdiv_(s.M, denominator, value: -learningRate / correction1);
        }
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
