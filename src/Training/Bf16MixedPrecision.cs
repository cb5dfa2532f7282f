using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Transformers.Training;

/// <summary>
/// bf16 mixed precision by hand (TorchSharp 0.107 has no autocast): the model is cast to bfloat16 for
/// forward/backward, fp32 master copies of the trainable parameters take the gradients (accumulated in fp32
/// after each backward) and the optimizer step; masters are copied back into the bf16 model after each step.
/// <see cref="RestoreFp32"/> leaves the model in fp32 holding the masters.
/// </summary>
internal sealed class Bf16MixedPrecision : IDisposable
{
    private readonly nn.Module _model;
    private readonly List<string> _names = new();
    private readonly List<Tensor> _masters = new();
    private readonly List<Tensor> _masterGrads = new();

    public Bf16MixedPrecision(nn.Module model)
    {
        _model = model;
        using (no_grad())
            foreach (var (name, p) in model.named_parameters().Where(np => np.parameter.requires_grad))
            {
                _names.Add(name);
                _masters.Add(p.detach().to(ScalarType.Float32).clone().DetachFromDisposeScope());
                _masterGrads.Add(zeros_like(_masters[^1]).DetachFromDisposeScope());
            }
        model.to(ScalarType.BFloat16);
    }

    /// <summary>The fp32 master weights, named as the model's parameters.</summary>
    public IEnumerable<(string Name, Tensor Parameter)> Masters => _names.Zip(_masters);

    /// <summary>The fp32 gradient buffers, aligned with <see cref="Masters"/>.</summary>
    public IReadOnlyList<Tensor?> MasterGradients => _masterGrads;

    /// <summary>Adds the bf16 model's gradients to the fp32 buffers and clears them (call after each backward).</summary>
    public void AccumulateGradients()
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var parameters = ModelParameters();
        for (int i = 0; i < _names.Count; i++)
        {
            var g = parameters[i].grad;
            if (g is null) continue;
            _masterGrads[i].add_(g.to(ScalarType.Float32));
            g.zero_();
        }
    }

    public void ZeroMasterGradients()
    {
        foreach (var g in _masterGrads) g.zero_();
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

    private List<Tensor> ModelParameters()
    {
        var byName = _model.named_parameters().ToDictionary(np => np.name, np => (Tensor)np.parameter);
        return _names.Select(n => byName[n]).ToList();
    }

    public void Dispose()
    {
        foreach (var t in _masters.Concat(_masterGrads)) t.Dispose();
        _masters.Clear(); _masterGrads.Clear();
    }
}
