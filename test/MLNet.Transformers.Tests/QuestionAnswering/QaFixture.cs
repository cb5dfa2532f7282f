using MLNet.Transformers.Models.Bert;
using MLNet.Transformers.Tests.Checkpoints;
using MLNet.Transformers.Tests.Models;
using static TorchSharp.torch;

namespace MLNet.Transformers.Tests.QuestionAnswering;

/// <summary>
/// A BertForQuestionAnswering checkpoint in HF layout: the bert-tiny-random fixture's encoder plus a <c>qa_outputs</c>
/// head with known random weights (N(0, 1) from torch seed 1234, so the logits are far from uniform).
/// </summary>
internal sealed class QaFixture : IDisposable
{
    private readonly TempDirectory directory = new();

    public QaFixture()
    {
        using var model = BertCheckpoint.LoadForQuestionAnswering(BertParityTests.FixtureDirectory);
        using (no_grad())
        {
            var generator = new TorchSharp.torch.Generator(1234);
            foreach (var (name, p) in model.named_parameters())
                if (name.StartsWith("qa_outputs.", StringComparison.Ordinal)) p.copy_(randn(p.shape, generator: generator));
        }
        BertCheckpoint.Save(model, model.Bert.Config, directory.Path, "BertForQuestionAnswering");
        foreach (var file in new[] { "vocab.txt", "tokenizer_config.json" })
            File.Copy(System.IO.Path.Combine(BertParityTests.FixtureDirectory, file), directory.File(file));
    }

    public string Path => directory.Path;

    public void Dispose() => directory.Dispose();
}
