// Train a small GPT on tiny Shakespeare inside ML.NET, report validation perplexity against the unigram baseline, save an HF
// GPT2LMHeadModel checkpoint, then load a GPT-2-layout checkpoint folder and generate from it (greedy, sampled, beam search).
//   dotnet run -c Release --project examples/TextGeneration [-- --steps N] [-- --fp32] [-- --checkpoint DIR]
// --checkpoint DIR generates from any GPT-2-layout folder (config.json, model.safetensors, vocab.json, merges.txt), e.g. the
// hub's gpt2 converted to safetensors; without it the example generates from the checkpoint it just trained.
using Microsoft.ML;
using MLNet.Transformers;
using MLNet.Transformers.Estimators;
using MLNet.Transformers.Models.Gpt2;
using MLNet.Transformers.Training;
using ScottPlot;
using Spectre.Console;

int steps = args.SkipWhile(a => a != "--steps").Skip(1).Select(int.Parse).FirstOrDefault(1000);
bool bf16 = !args.Contains("--fp32");
string? external = args.SkipWhile(a => a != "--checkpoint").Skip(1).FirstOrDefault();
string output = Path.Combine(Path.GetTempPath(), "mlnet-transformers-gpt-shakespeare");
var ml = new MLContext(seed: 1);

// One speech (blank-line separated) per row; the last 10% of the play text is held out for validation.
var speeches = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "data", "tinyshakespeare.txt"))
    .Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(s => new TextRow { Text = s + "\n" }).ToList();
int split = speeches.Count * 9 / 10;
var train = ml.Data.LoadFromEnumerable(speeches.Take(split));
var valid = ml.Data.LoadFromEnumerable(speeches.Skip(split));

var options = new CausalLanguageModelOptions
{
    ModelConfig = Gpt2Config.Small() with { NPositions = 128, ResidPdrop = 0.1, EmbdPdrop = 0.1, AttnPdrop = 0.1 }, // 4 layers, 256 wide, 4 heads
    VocabularySize = 2000,                        // a byte-level BPE trained on the play
    BlockSize = 128, BatchSize = 16, MaxEpochs = 100, ValidationSet = valid,
    Training = new TrainerOptions { MaxSteps = steps, LearningRate = 1e-3, WarmupFraction = 0.05, UseBf16 = bf16, EvaluateEverySteps = Math.Max(1, steps / 5), Seed = 1 },
};
var losses = new List<(int Step, double Loss)>();
var validation = new List<(int Step, double Loss)>();
var estimator = ml.Transforms.Text.PretrainCausalLanguageModel(options);
MLNet.Transformers.Transforms.CausalLanguageModelTransformer model = null!;
AnsiConsole.MarkupLine($"[bold]Training a small GPT on tiny Shakespeare[/] ({steps} steps, {(bf16 ? "bf16" : "fp32")})");
AnsiConsole.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
    .Start(ctx =>
    {
        var bar = ctx.AddTask("training", maxValue: 1);
        options.Training.Progress = new Reporter(p =>
        {
            losses.Add((p.Step, p.Loss));
            if (p.ValidationLoss is { } v) validation.Add((p.Step, v));
            bar.MaxValue = p.TotalSteps;
            bar.Value = p.Step;
            bar.Description = $"step {p.Step}/{p.TotalSteps} loss {p.Loss:F3} {p.TokensPerSecond:F0} tok/s";
        });
        model = estimator.Fit(train);
    });

// Unigram baseline: each validation token predicted by its training frequency (what a model without context can do).
var counts = new Dictionary<int, long>();
foreach (var s in speeches.Take(split)) foreach (var id in model.Tokenizer.Encode(s.Text)) counts[id] = counts.GetValueOrDefault(id) + 1;
double total = counts.Values.Sum();
var validIds = speeches.Skip(split).SelectMany(s => model.Tokenizer.Encode(s.Text)).ToList();
double unigram = Math.Exp(-validIds.Average(id => Math.Log((counts.GetValueOrDefault(id) + 1) / (total + counts.Count))));
AnsiConsole.MarkupLine($"validation perplexity [bold]{estimator.LastValidationPerplexity:F1}[/] (unigram baseline {unigram:F1}); {estimator.LastTrainingResult!.TokensPerSecond:F0} training tokens/s");

// The scoring transformer in a pipeline: perplexity of two lines, one Shakespeare-like, one not.
var probes = ml.Data.LoadFromEnumerable(new[] { new TextRow { Text = "ROMEO:\nI will not go, my lord.\n" }, new TextRow { Text = "The GPU kernel returned a null pointer.\n" } });
foreach (var row in ml.Data.CreateEnumerable<Scored>(model.Transform(probes), false))
    AnsiConsole.MarkupLine($"perplexity {Math.Exp(-row.LogLikelihood / row.TokenCount),8:F1}  {Markup.Escape(row.Text.Trim())}");

model.SaveCheckpoint(output);
AnsiConsole.MarkupLine($"checkpoint saved to [bold]{output}[/] (HF GPT2LMHeadModel layout + vocab.json/merges.txt)");

var plot = new Plot();
plot.Add.Scatter(losses.Select(l => (double)l.Step).ToArray(), losses.Select(l => l.Loss).ToArray()).LegendText = "training loss";
if (validation.Count > 0) plot.Add.Scatter(validation.Select(l => (double)l.Step).ToArray(), validation.Select(l => l.Loss).ToArray()).LegendText = "validation loss";
plot.XLabel("step"); plot.YLabel("cross-entropy (nats/token)"); plot.ShowLegend();
var png = Path.Combine(output, "loss.png");
plot.SavePng(png, 800, 500);
AnsiConsole.MarkupLine($"loss curve: [bold]{png}[/]");

// Generation from a GPT-2-layout checkpoint folder.
string checkpoint = external ?? output;
var prompts = ml.Data.LoadFromEnumerable(new[] { new TextRow { Text = "ROMEO:\n" }, new TextRow { Text = "First Citizen:\nWe are" } });
foreach (var (name, generation) in new[]
{
    ("greedy", new TextGenerationOptions { MaxNewTokens = 60, RepetitionPenalty = 1.2 }),
    ("sampled (T 0.8, top-k 40, top-p 0.95)", new TextGenerationOptions { MaxNewTokens = 60, DoSample = true, Temperature = 0.8, TopK = 40, TopP = 0.95, Seed = 7 }),
    ("beam search (4 beams)", new TextGenerationOptions { MaxNewTokens = 40, NumBeams = 4, RepetitionPenalty = 1.2 }),
})
{
    using var generator = ml.Transforms.Text.GenerateText(checkpoint, "Continuation", "Text", generation).Fit(prompts);
    AnsiConsole.Write(new Rule($"{name} from {checkpoint}"));
    foreach (var row in ml.Data.CreateEnumerable<Generated>(generator.Transform(prompts), false))
        AnsiConsole.WriteLine(row.Text + row.Continuation + "\n");
}
model.Dispose();

internal sealed class TextRow { public string Text { get; set; } = ""; }
internal sealed class Scored { public string Text { get; set; } = ""; public float LogLikelihood { get; set; } public int TokenCount { get; set; } }
internal sealed class Generated { public string Text { get; set; } = ""; public string Continuation { get; set; } = ""; }

// Progress<T> posts to the thread pool; this reports synchronously so the bar and the history stay in step order.
internal sealed class Reporter(Action<TrainingProgress> report) : IProgress<TrainingProgress>
{
    public void Report(TrainingProgress value) => report(value);
}
