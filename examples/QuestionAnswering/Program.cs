// Extractive question answering on SQuAD v1.1: fine-tune a pretrained encoder (all-MiniLM-L6-v2 by default; it has no
// QA head, so QuestionAnswer starts one fresh) with the QuestionAnswer trainer, then compare exact match / F1 on held-out
// articles with a sentence-overlap baseline (and, with --init both, with the same architecture from random init).
// Training questions come from every other article of SQuAD's dev file; Prime_number and Rhine are held out.
//   dotnet run -c Release --project examples/QuestionAnswering [-- --full] [--checkpoint X] [--questions N] [--epochs N]
//       [--lr X] [--max-length N] [--stride N] [--seed N] [--init pretrained|random|both] [--out DIR]
using Microsoft.ML;
using MLNet.Transformers;
using MLNet.Transformers.Estimators;
using MLNet.Transformers.Models.Bert;
using MLNet.Transformers.Tokenization;
using MLNet.Transformers.Training;
using MLNet.Transformers.Transforms;
using ScottPlot;
using Spectre.Console;

string Arg(string name, string fallback) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() ?? fallback;
bool full = args.Contains("--full");
string? given = args.SkipWhile(a => a != "--checkpoint").Skip(1).FirstOrDefault();
string checkpoint = given is null ? PretrainedMiniLM.Folder() : Directory.Exists(given) ? Path.GetFullPath(given) : given;
// The recipe (a fresh QA head needs many more steps than a sentence classifier): the default run trains on 1,000
// questions (2 epochs, windows of 192 tokens); --full on all ~5,000 questions of every other article (windows of 256).
int questions = int.Parse(Arg("--questions", full ? "100000" : "1000")), epochs = int.Parse(Arg("--epochs", "2"));
int maxLength = int.Parse(Arg("--max-length", full ? "256" : "192")), stride = int.Parse(Arg("--stride", full ? "128" : "64"));
int seed = int.Parse(Arg("--seed", "1"));
double lr = double.Parse(Arg("--lr", full ? "1e-4" : "2e-4"), System.Globalization.CultureInfo.InvariantCulture);
// fp32 unless asked: Precision.Auto would pick bf16 on AVX512-BF16 hosts, and the README's figures are the same on every host.
Environment.SetEnvironmentVariable(MLNet.Transformers.Inference.HostPrecision.EnvironmentVariable, Arg("--precision", "fp32"));
string output = Arg("--out", "qa-output");
Directory.CreateDirectory(output);
AnsiConsole.MarkupLine($"model: [bold]{Markup.Escape(checkpoint)}[/]");

var ml = new MLContext(seed: seed);
var all = SquadDataset.Read(Path.Combine(AppContext.BaseDirectory, "data", "squad-v1.1-dev.json"), out var report);
AnsiConsole.MarkupLine($"SQuAD {report.Version}: {report.Questions} questions, {report.SkippedQuestions} malformed skipped, {report.MisplacedAnswers} misplaced answers");
var heldOutTitles = new HashSet<string> { "Prime_number", "Rhine" };
var titles = all.Select(q => q.Title).Distinct().ToList();
var trainingTitles = titles.Where((t, i) => i % 2 == 0 && !heldOutTitles.Contains(t)).ToHashSet();
var shuffle = new Random(1);   // the same questions for every seed
var train = all.Where(q => trainingTitles.Contains(q.Title)).OrderBy(_ => shuffle.Next()).Take(questions).ToList();
var test = all.Where(q => heldOutTitles.Contains(q.Title)).ToList();
AnsiConsole.MarkupLine($"training on {train.Count} questions from {train.Select(q => q.Title).Distinct().Count()} articles; held out: {test.Count} questions ({string.Join(", ", heldOutTitles)})");
var testData = ml.Data.LoadFromEnumerable(test);

// Baseline: the context sentence sharing the most (normalised) words with the question.
var baseline = QuestionAnsweringMetrics.Compute(test.Select(q => (OverlapBaseline.Answer(q.Question, q.Context), (IReadOnlyList<string>)q.GoldAnswers)));
AnsiConsole.MarkupLine($"sentence-overlap baseline: [bold]{baseline}[/]");

var results = new List<(string Name, QuestionAnsweringMetrics Metrics)> { ("sentence overlap", baseline) };
var curves = new List<(string Name, List<(int Step, double Loss)> Losses)>();
QuestionAnsweringTransformer? best = null;
string initFrom = Arg("--init", "pretrained");   // pretrained | random | both
var starts = new[] { "pretrained", "random init" }.Where(s => initFrom == "both" || s.StartsWith(initFrom, StringComparison.Ordinal));
foreach (var name in starts)
{
    string from = name == "pretrained" ? checkpoint : RandomInit(checkpoint, Path.Combine(output, "random-init"));
    var losses = new List<(int Step, double Loss)>();
    var options = new QuestionAnsweringOptions
    {
        CheckpointDirectory = from, MaxEpochs = epochs, BatchSize = 16, TopK = 3, MaxSequenceLength = maxLength, DocumentStride = stride,
        Training = new TrainerOptions { LearningRate = lr, WarmupFraction = 0.1, LogEverySteps = 20, Seed = seed },
    };
    QuestionAnsweringTransformer model = null!;
    var clock = System.Diagnostics.Stopwatch.StartNew();
    AnsiConsole.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
        .Start(ctx =>
        {
            var bar = ctx.AddTask($"fine-tuning ({name})", maxValue: 1);
            options.Training.Progress = new Reporter(p =>
            {
                losses.Add((p.Step, p.Loss));
                bar.MaxValue = p.TotalSteps;
                bar.Value = p.Step;
                bar.Description = $"{name}: step {p.Step}/{p.TotalSteps} loss {p.Loss:F3}";
            });
            model = ml.MulticlassClassification.Trainers.QuestionAnswer(options).Fit(ml.Data.LoadFromEnumerable(train));
        });
    var metrics = ml.MulticlassClassification.EvaluateQuestionAnswering(model.Transform(testData));
    AnsiConsole.MarkupLine($"fine-tuned from {name}: [bold]{metrics}[/] ({losses.LastOrDefault().Step} steps, {clock.Elapsed:m\\:ss} including scoring)");
    results.Add(($"fine-tuned from {name}", metrics));
    curves.Add((name, losses));
    if (best is null) best = model; else model.Dispose();
}

var table = new Table().AddColumns("held-out SQuAD v1.1 questions", "EM", "F1");
foreach (var (name, m) in results) table.AddRow(name, $"{m.ExactMatch:F1}", $"{m.F1:F1}");
AnsiConsole.Write(table);

// A few answers of the pretrained model, with the gold answer and the prediction marked in the context.
foreach (var q in test.Where((_, i) => i % 97 == 5).Take(4))
{
    var answers = best!.Predict([q.Question], [q.Context])[0];
    var top = answers[0];
    int window = Math.Max(0, top.Start - 150);
    string snippet = q.Context[window..top.Start] + "[[" + top.Text + "]]" + q.Context[(top.Start + top.Text.Length)..Math.Min(q.Context.Length, top.Start + top.Text.Length + 150)];
    AnsiConsole.MarkupLine($"\n[bold]Q:[/] {Markup.Escape(q.Question)}   [bold]gold:[/] {Markup.Escape(string.Join(" | ", q.GoldAnswers.Distinct()))}");
    AnsiConsole.MarkupLine($"[bold]A:[/] {Markup.Escape(string.Join(" | ", answers.Select(a => $"{a.Text} ({a.Score:P0})")))}");
    AnsiConsole.MarkupLine($"   …{Markup.Escape(snippet).Replace("[[", "[yellow]").Replace("]]", "[/]")}…");
}
best!.SaveCheckpoint(Path.Combine(output, "bert-qa"));   // config.json + model.safetensors + vocab: loads in Python's transformers
AnsiConsole.MarkupLine($"\nfine-tuned checkpoint: [bold]{Path.Combine(output, "bert-qa")}[/] (HF BertForQuestionAnswering layout)");

var plot = new Plot();
foreach (var (name, losses) in curves)
    plot.Add.Scatter(losses.Select(l => (double)l.Step).ToArray(), losses.Select(l => l.Loss).ToArray()).LegendText = $"training loss from {name}";
plot.XLabel("step"); plot.YLabel("(start CE + end CE) / 2"); plot.ShowLegend();
plot.Title($"QuestionAnswer fine-tuning: training loss ({train.Count:N0} questions, {epochs} epochs, lr {lr:G2})");
plot.SavePng(Path.Combine(output, "loss.png"), 800, 500);
AnsiConsole.MarkupLine($"loss curve: [bold]{Path.Combine(output, "loss.png")}[/]");

// Random initialisation with the same architecture and vocabulary (the comparison --init both makes).
static string RandomInit(string like, string directory)
{
    var config = BertCheckpoint.ReadConfig(like);
    TorchSharp.torch.manual_seed(1);
    using var init = new BertForQuestionAnswering(config);
    BertInitializer.Initialize(init, config);
    BertCheckpoint.Save(init, config, directory, "BertForQuestionAnswering");
    var tokenizer = BertWordPieceTokenizer.FromDirectory(like);
    tokenizer.SaveVocabulary(Path.Combine(directory, "vocab.txt"));
    tokenizer.SaveConfig(Path.Combine(directory, "tokenizer_config.json"));
    return directory;
}

/// <summary>The context sentence with the most normalised question words (stop words aside): SQuAD's classic sliding-window-free baseline.</summary>
internal static class OverlapBaseline
{
    private static readonly HashSet<string> Stop = ["what", "which", "who", "whom", "when", "where", "why", "how", "is", "are", "was", "were", "did", "do", "does",
        "of", "in", "on", "to", "for", "by", "with", "and", "or", "from", "at", "as", "that", "this", "it", "its", "be", "been", "has", "have", "had"];

    public static string Answer(string question, string context)
    {
        var words = SquadScoring.Normalize(question).Split(' ').Where(w => !Stop.Contains(w)).ToHashSet();
        var sentences = System.Text.RegularExpressions.Regex.Split(context, @"(?<=[.!?])\s+").Where(s => s.Length > 0);
        return sentences.MaxBy(s => SquadScoring.Normalize(s).Split(' ').Count(words.Contains)) ?? context;
    }
}

// Progress<T> posts to the thread pool; this reports synchronously so the bar and the history stay in step order.
internal sealed class Reporter(Action<TrainingProgress> report) : IProgress<TrainingProgress>
{
    public void Report(TrainingProgress value) => report(value);
}
