using static TorchSharp.torch;

namespace MLNet.Transformers.Models.Gpt2;

/// <summary>
/// HF's <c>Conv1D</c> (from OpenAI's original GPT code): a linear layer whose weight is stored transposed, [in, out],
/// so y = x·W + b. Kept as it is stored so checkpoints load key by key without transposing.
/// </summary>
internal sealed class Conv1D : nn.Module<Tensor, Tensor>
{
    private readonly TorchSharp.Modules.Parameter weight;
    private readonly TorchSharp.Modules.Parameter bias;

    /// <summary>Creates a [<paramref name="inFeatures"/>, <paramref name="outFeatures"/>] projection.</summary>
    public Conv1D(int inFeatures, int outFeatures) : base(nameof(Conv1D))
    {
        weight = new TorchSharp.Modules.Parameter(empty(inFeatures, outFeatures));
        bias = new TorchSharp.Modules.Parameter(zeros(outFeatures));
        RegisterComponents();
    }

    /// <summary>The [in, out] weight.</summary>
    public Tensor Weight => weight;

    /// <summary>(…, in) → (…, out).</summary>
    public override Tensor forward(Tensor x) => matmul(x, weight).add_(bias);
}
