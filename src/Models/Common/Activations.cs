using static TorchSharp.torch;

namespace MLNet.Transformers.Models;

/// <summary>The activations Hugging Face configs name in <c>hidden_act</c> / <c>activation_function</c>.</summary>
internal static class Activations
{
    /// <summary>Applies the activation called <paramref name="name"/> (HF's ACT2FN names).</summary>
    public static Tensor Apply(string name, Tensor x) => name switch
    {
        "gelu" => nn.functional.gelu(x),                                         // exact erf GELU, as HF "gelu"
        "gelu_new" or "gelu_pytorch_tanh" => nn.functional.gelu(x, TorchSharp.Modules.GELU.Approximate.tanh),
        "relu" => nn.functional.relu(x),
        _ => throw new ArgumentException($"Activation '{name}' is not supported (use gelu, gelu_new, gelu_pytorch_tanh or relu).", nameof(name)),
    };
}
