// Pretrain a small BERT from scratch on WikiText-2 with masked-LM + next-sentence prediction, inside ML.NET:
// a WordPiece vocabulary is trained on the text, the loss is shown live and saved as a PNG, fill-mask is shown before
// and after, and the checkpoint (HF BertForPreTraining layout) is saved for fine-tuning. Finally the checkpoint's
// embeddings are compared with those of the same-size random model as features for SST-2 sentiment.
//
//   dotnet run -c Release --project examples/Pretraining                 # BERT-Tiny, 8000 bf16 steps: ~9 minutes on 2 cores
//   dotnet run -c Release --project examples/Pretraining -- --long       # BERT-Mini, 10 epochs (hours)
//   options: --fp32 (no bf16 mixed precision), --steps N (optimizer steps), --out DIR (checkpoint and plot; default ./pretrained-bert)
//            --brown DIR (also the Brown corpus, tags stripped, minus the POS test files of examples/TextClassification),
//            --sst2 (also SST-2's training sentences: task-adaptive pretraining; the dev set is never used),
//            --from DIR (continue pretraining a checkpoint instead of starting from scratch), --bf16-checkpoint (store the weights as bf16: half the size),
//            --lr X (peak learning rate; default 1e-3, 5e-4 with --long)
using Microsoft.ML;
using MLNet.Transformers;
using MLNet.Transformers.Estimators;
using MLNet.Transformers.Models.Bert;
using MLNet.Transformers.Training;
using MLNet.Transformers.Training.Pretraining;
using MLNet.Transformers.Transforms;
using ScottPlot;
using Spectre.Console;

bool longRun = args.Contains("--long"), bf16 = !args.Contains("--fp32");
string output = args.SkipWhile(a => a != "--out").Skip(1).FirstOrDefault() ?? Path.GetFullPath("pretrained-bert");
int? steps = args.SkipWhile(a => a != "--steps").Skip(1).FirstOrDefault() is { } s ? int.Parse(s) : null;
string? brown = args.SkipWhile(a => a != "--brown").Skip(1).FirstOrDefault();
string? from = args.SkipWhile(a => a != "--from").Skip(1).FirstOrDefault();
double? learningRate = args.SkipWhile(a => a != "--lr").Skip(1).FirstOrDefault() is { } lrArg ? double.Parse(lrArg, System.Globalization.CultureInfo.InvariantCulture) : null;
var data = Path.Combine(AppContext.BaseDirectory, "data");
var ml = new MLContext(seed: 1);

// WikiText lines: " = Title = " starts an article; each article is a document of sentences (for NSP pairs).
var lines = File.ReadLines(Path.Combine(data, "wikitext-2", "test.txt")).Concat(File.ReadLines(Path.Combine(data, "wikitext-2", "valid.txt")));
if (brown is not null) lines = lines.Concat(ExtraText.Brown(brown));
if (args.Contains("--sst2")) lines = lines.Concat(ExtraText.Sst2(Path.Combine(data, "sst2-train.tsv")));
var corpus = ml.Data.LoadFromEnumerable(lines.Select(l => new TextRow { Text = l }));

var options = new MaskedLanguageModelOptions
{
    TextColumnName = "Text",
    CheckpointDirectory = from,
    RowFormat = CorpusRowFormat.WikiTextLines,
    ModelConfig = longRun ? BertConfig.Mini() : BertConfig.Tiny(),
    VocabularySize = 8000,
    NextSentencePrediction = true,
    MaxSequenceLength = longRun ? 128 : 64,
    BatchSize = 32,
    MaxEpochs = longRun ? 10 : 100,   // the short run is capped by Training.MaxSteps
    ValidationFraction = 0.05,
    Training = new TrainerOptions
    {
        MaxSteps = steps ?? (longRun ? null : 8000),
        LearningRate = learningRate ?? (longRun ? 5e-4 : 1e-3),
        WarmupFraction = 0.05,
        EvaluateEverySteps = 1000,
        UseBf16 = bf16,
        Seed = 1,
    },
};

string[] probes = ["the game was released in [MASK] .", "he was born in [MASK] , england .", "the [MASK] of the river is in the north ."];
var losses = new List<(int Step, double Loss)>();
var validation = new List<(int Step, double Loss)>();
var estimator = ml.Transforms.Text.PretrainMaskedLanguageModel(options);
FillMaskTransformer model = null!;
AnsiConsole.MarkupLine($"[bold]Pretraining {(longRun ? "BERT-Mini" : "BERT-Tiny")} on WikiText-2{(brown is null ? "" : " + Brown")}{(args.Contains("--sst2") ? " + SST-2 train" : "")}[/] ({(bf16 ? "bf16" : "fp32")})");
var clock = System.Diagnostics.Stopwatch.StartNew();
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
            bar.Description = $"step {p.Step}/{p.TotalSteps} loss {p.Loss:F3}{(validation.Count > 0 ? $" (validation {validation[^1].Loss:F3})" : "")} lr {p.LearningRate:E1} {p.TokensPerSecond:F0} tok/s";
        });
        model = estimator.Fit(corpus);
    });

var result = estimator.LastTrainingResult!;
var metrics = estimator.LastValidationMetrics!;
AnsiConsole.MarkupLine($"validation: masked-token accuracy [bold]{metrics.MaskedTokenAccuracy:P1}[/], perplexity [bold]{metrics.Perplexity:F1}[/], NSP accuracy {metrics.NextSentenceAccuracy:P1}; {result.TokensPerSecond:F0} tokens/s");

model.SaveCheckpoint(output);
if (args.Contains("--bf16-checkpoint")) ExtraText.StoreAsBf16(Path.Combine(output, "model.safetensors"));
AnsiConsole.MarkupLine($"checkpoint saved to [bold]{output}[/] (HF BertForPreTraining layout) after {result.StepsRun} steps, {clock.Elapsed.TotalMinutes:F1} min");

// "Before": the same architecture and vocabulary with HF's random initialisation, loaded for fill-mask with MaxEpochs = 0.
var random = Path.Combine(output, "random-init");
TorchSharp.torch.manual_seed(1);
using (var init = new BertForPreTraining(BertCheckpoint.ReadConfig(output), withNextSentencePrediction: true))
{
    BertInitializer.Initialize(init, init.Config);
    BertCheckpoint.Save(init, init.Config, random, "BertForPreTraining");
    model.Tokenizer.SaveTo(random);
}
using var before = ml.Transforms.Text.PretrainMaskedLanguageModel(new MaskedLanguageModelOptions { CheckpointDirectory = random, MaxEpochs = 0 }).Fit(corpus);
string Top(FillMaskResult r) => string.Join(", ", r.Tokens.Zip(r.Scores, (t, p) => $"{t} {p:P0}"));
var table = new Table().AddColumns("text", "top-5 before pretraining", "top-5 after pretraining");
foreach (var ((text, b), a) in probes.Zip(before.Predict(probes)).Zip(model.Predict(probes)))
    table.AddRow(Markup.Escape(text), Markup.Escape(Top(b)), Markup.Escape(Top(a)));
AnsiConsole.Write(table);

// Loss curve.
var plot = new Plot();
plot.Add.Scatter(losses.Select(l => (double)l.Step).ToArray(), losses.Select(l => l.Loss).ToArray()).LegendText = "training loss (MLM + NSP)";
if (validation.Count > 0)
    plot.Add.Scatter(validation.Select(l => (double)l.Step).ToArray(), validation.Select(l => l.Loss).ToArray()).LegendText = "validation MLM loss";
plot.XLabel("step"); plot.YLabel("loss"); plot.ShowLegend();
var png = Path.Combine(output, "loss.png");
plot.SavePng(png, 800, 500);
AnsiConsole.MarkupLine($"loss curve: [bold]{png}[/]");

// Is pretraining useful? Mean-pooled embeddings + L-BFGS logistic regression on SST-2, pretrained vs random init.
var sstTrain = ml.Data.TakeRows(ml.Data.ShuffleRows(ml.Data.LoadFromTextFile<Review>(Path.Combine(data, "sst2-train.tsv"), '\t', hasHeader: true), seed: 1), longRun ? 20000 : 4000);
var sstDev = ml.Data.LoadFromTextFile<Review>(Path.Combine(data, "sst2-dev.tsv"), '\t', hasHeader: true);
foreach (var (name, checkpoint) in new[] { ("pretrained", output), ("random init", random) })
{
    var pipeline = ml.Transforms.Text.TransformerEmbedding(checkpoint, "Features", "Sentence", pooling: EmbeddingPooling.Mean, maxSequenceLength: 64)
        .Append(ml.BinaryClassification.Trainers.LbfgsLogisticRegression("Label", "Features"));
    var accuracy = ml.BinaryClassification.Evaluate(pipeline.Fit(sstTrain).Transform(sstDev)).Accuracy;
    AnsiConsole.MarkupLine($"SST-2 dev accuracy with {name} embeddings: [bold]{accuracy:P1}[/]");
}

internal sealed class TextRow { public string Text { get; set; } = ""; }

internal sealed class Review
{
    [Microsoft.ML.Data.LoadColumn(0)] public string Sentence { get; set; } = "";
    [Microsoft.ML.Data.LoadColumn(1)] public bool Label { get; set; }
}

// Progress<T> posts to the thread pool; this reports synchronously so the bar and the history stay in step order.
internal sealed class Reporter(Action<TrainingProgress> report) : IProgress<TrainingProgress>
{
    public void Report(TrainingProgress value) => report(value);
}
