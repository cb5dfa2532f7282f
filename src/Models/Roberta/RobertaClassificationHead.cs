using MLNet.Transformers.Models.Common;
using MLNet.Transformers.Models.Bert;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.Roberta;

/// <summary>
/// RoBERTa's sentence head (HF <c>RobertaClassificationHead</c>, keys <c>classifier.dense</c>, <c>classifier.out_proj</c>):
/// dropout → dense → tanh → dropout → out_proj on the <c>&lt;s&gt;</c> token. It replaces BERT's pooler.
/// </summary>
internal sealed class RobertaClassificationHead : nn.Module<Tensor, Tensor>
{
    private readonly Linear dense;
    private readonly MixedPrecisionDropout dropout;
    private readonly Linear out_proj;

    /// <summary>Creates the head with <paramref name="numLabels"/> outputs.</summary>
    public RobertaClassificationHead(BertConfig config, int numLabels) : base(nameof(RobertaClassificationHead))
    {
        dense = nn.Linear(config.HiddenSize, config.HiddenSize);
        dropout = new MixedPrecisionDropout(config.ClassifierDropout ?? config.HiddenDropoutProb);
        out_proj = nn.Linear(config.HiddenSize, numLabels);
        RegisterComponents();
    }

    /// <summary>(B, T, H) → (B, numLabels) from the first token.</summary>
    public override Tensor forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        var x = dropout.call(hidden.select(1, 0));
        x = dropout.call(tanh(dense.call(x)));
        return out_proj.call(x).MoveToOuterDisposeScope();
    }
}
