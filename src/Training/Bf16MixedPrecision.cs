using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Transformers.Training;

/// <summary>
/// bf16 mixed precision by hand (TorchSharp 0.107 has no autocast): the model is cast to bfloat16 for
/// forward/backward, fp32 master copies of the trainable parameters take the optimizer step, and the optimizer writes
/// each updated master, rounded, back into the bf16 model (<see cref="ModelParameters"/> as its bf16 copies). With one
/// backward per step the optimizer reads the bf16 gradients directly (widening bf16 to fp32 is exact, so this is what
/// adding them to zeroed fp32 buffers gave, without the buffers); with gradient accumulation they are summed in fp32
/// buffers after each backward. <see cref="RestoreFp32"/> leaves the model in fp32 holding the masters.
/// </summary>
internal sealed class Bf16MixedPrecision : IDisposable
{
    private readonly nn.Module _model;
    private readonly List<string> _names = new();
    private readonly List<Tensor> _masters = new();
    private List<Tensor>? _masterGrads;

    public Bf16MixedPrecision(nn.Module model)
    {
        _model = model;
        using (no_grad())
            foreach (var (name, p) in model.named_parameters().Where(np => np.parameter.requires_grad))
            {
                _names.Add(name);
                _masters.Add(p.detach().to(ScalarType.Float32).clone().DetachFromDisposeScope());
            }
        model.to(ScalarType.BFloat16);
    }

    /// <summary>The fp32 master weights, named as the model's parameters.</summary>
    public IEnumerable<(string Name, Tensor Parameter)> Masters => _names.Zip(_masters);

    /// <summary>
    /// The gradients of this step for the optimizer, aligned with <see cref="Masters"/>: the fp32 sums when
    /// <paramref name="accumulated"/> (<see cref="AccumulateGradients"/> ran after each backward), else the bf16 model's own
    /// gradients (null where a parameter got none).
    /// </summary>
    public IReadOnlyList<Tensor?> Gradients(bool accumulated) =>
        accumulated ? (_masterGrads ?? throw new InvalidOperationException("AccumulateGradients was not called in this step.")).ToList<Tensor?>()
            : ModelParameters().Select(p => (Tensor?)p.grad).ToList();

    /// <summary>Adds the bf16 model's gradients to the fp32 buffers and clears them (call after each backward of an accumulated step).</summary>
    public void AccumulateGradients()
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        _masterGrads ??= _masters.Select(m => zeros_like(m).DetachFromDisposeScope()).ToList();
        var parameters = ModelParameters();
        for (int i = 0; i < _names.Count; i++)
        {
            var g = parameters[i].grad;
            if (g is null) continue;
            _masterGrads[i].add_(g.to(ScalarType.Float32));
            g.zero_();
        }
    }

    /// <summary>Zeroes the fp32 sums of <see cref="AccumulateGradients"/> (call at the start of each step).</summary>
    public void ZeroMasterGradients()
    {
        if (_masterGrads is not null) foreach (var g in _masterGrads) g.zero_();
    }

    /// <summary>Copies (rounds) the fp32 masters into the bf16 model.</summary>
    public void CopyMastersToModel()
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var parameters = ModelParameters();
        for (int i = 0; i < _names.Count; i++) parameters[i].copy_(_masters[i]);
    }

    /// <summary>Casts the model back to fp32 and puts the exact master weights into it.</summary>
    public void RestoreFp32()
    {
        _model.to(ScalarType.Float32);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var parameters = ModelParameters();
        for (int i = 0; i < _names.Count; i++) parameters[i].copy_(_masters[i]);
    }

    /// <summary>The model's (bf16) trainable parameters, aligned with <see cref="Masters"/>.</summary>
    public List<Tensor> ModelParameters()
    {
        var byName = _model.named_parameters().ToDictionary(np => np.name, np => (Tensor)np.parameter);
        return _names.Select(n => byName[n]).ToList();
    }

    public void Dispose()
    {
        foreach (var t in _masters.Concat(_masterGrads ?? [])) t.Dispose();
        _masters.Clear();
        _masterGrads = null;
    }
}
