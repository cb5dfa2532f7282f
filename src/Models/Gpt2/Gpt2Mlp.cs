using MLNet.Transformers.Models.Common;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.Gpt2;

/// <summary>The feed-forward network of a block (HF <c>GPT2MLP</c>): c_fc → activation → c_proj → dropout.</summary>
internal sealed class Gpt2Mlp : nn.Module<Tensor, Tensor>
{
    private readonly Conv1D c_fc;
    private readonly Conv1D c_proj;
    private readonly MixedPrecisionDropout dropout;
    private readonly string activation;

    /// <summary>Creates the MLP for <paramref name="config"/> (width n_inner, or 4·n_embd).</summary>
    public Gpt2Mlp(Gpt2Config config) : base(nameof(Gpt2Mlp))
    {
        c_fc = new Conv1D(config.NEmbd, config.InnerDim);
        c_proj = new Conv1D(config.InnerDim, config.NEmbd);
        dropout = new MixedPrecisionDropout(config.ResidPdrop);
        activation = config.ActivationFunction;
        RegisterComponents();
    }

    /// <summary>(B, T, C) → (B, T, C).</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return dropout.call(c_proj.call(Activations.Apply(activation, c_fc.call(x)))).MoveToOuterDisposeScope();
    }
}
