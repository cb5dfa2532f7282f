// Fine-tune a small BERT inside ML.NET pipelines and compare it with ML.NET's own baselines on the same data:
//   SST-2 sentiment (single sentence): (a) our pretrained BERT-Tiny fine-tuned, (b) the same architecture from random
//   initialisation with the same budget (also on 1,000 sentences, and there with a small budget of 96 steps), (c) frozen
//   embeddings + L-BFGS, (d) FeaturizeText + L-BFGS; learning rate × epochs chosen by a small sweep on a validation split
//   of the training rows (the dev set is only used for the final figures);
//   QNLI (sentence pairs, [CLS] question [SEP] sentence [SEP]) and part-of-speech tagging on the Brown corpus
//   (NamedEntityRecognition, one tag per word) vs their baselines. Prints the table and saves it as a PNG chart.
//
//   dotnet run -c Release --project examples/TextClassification               # subsets sized for a few minutes on 2 cores
//   dotnet run -c Release --project examples/TextClassification -- --full     # larger subsets and sweep
//   options: --seed N (initialisation of new weights, dropout, data order; the data subsets stay the same),
//            --checkpoint DIR (start from another BERT checkpoint folder instead of the shipped one),
//            --lr X --epochs N (skip the sweep and fine-tune (a) and (b) with this budget)
//
// The checkpoint examples/data/bert-tiny-pretrained was made by examples/Pretraining (its README says how).
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transformers;
using MLNet.Transformers.Estimators;
using MLNet.Transformers.Models.Bert;
using MLNet.Transformers.Training;
using MLNet.Transformers.Transforms;
using ScottPlot;
using Spectre.Console;

bool full = args.Contains("--full");
int seed = args.SkipWhile(a => a != "--seed").Skip(1).FirstOrDefault() is { } seedArg ? int.Parse(seedArg) : 1;
int sstRows = full ? 20000 : 8000, sweepRows = full ? 5000 : 2000, qnliRows = full ? 4000 : 1000, posSentences = full ? 4000 : 2000;
double[] learningRates = full ? [1e-4, 3e-4, 1e-3] : [3e-4, 1e-3];
int[] epochChoices = [1, 3];
var data = Path.Combine(AppContext.BaseDirectory, "data");
var pretrained = args.SkipWhile(a => a != "--checkpoint").Skip(1).FirstOrDefault() is { } dir ? Path.GetFullPath(dir) : Path.Combine(data, "bert-tiny-pretrained");
double? fixedLearningRate = args.SkipWhile(a => a != "--lr").Skip(1).FirstOrDefault() is { } lrArg ? double.Parse(lrArg, System.Globalization.CultureInfo.InvariantCulture) : null;
int? fixedEpochs = args.SkipWhile(a => a != "--epochs").Skip(1).FirstOrDefault() is { } epochsArg ? int.Parse(epochsArg) : null;
if (fixedLearningRate.HasValue != fixedEpochs.HasValue) throw new ArgumentException("--lr and --epochs go together: both fix the fine-tuning budget instead of the sweep.");
var ml = new MLContext(seed: seed);
var results = new List<(string Task, string Model, double Accuracy)>();

// ---- SST-2: the same shuffled training subset for every model; the dev set only for the final figures.
var sstTrain = ml.Data.TakeRows(ml.Data.ShuffleRows(Load<Review>("sst2-train.tsv"), seed: 1), sstRows);
var sstDev = Load<Review>("sst2-dev.tsv");
var toKey = ml.Transforms.Conversion.MapValueToKey("Label").Fit(sstTrain);   // the trainer's label is a key

// A small sweep ("AutoML-style"): each (learning rate, epochs) fine-tunes on 90% of the first sweepRows training rows and
// is scored on the other 10%; the best pair is then used for (a) and (b) on all sstRows.
var split = ml.Data.TrainTestSplit(toKey.Transform(ml.Data.TakeRows(sstTrain, sweepRows)), testFraction: 0.1, seed: 1);
var sweep = new List<(double LearningRate, int Epochs, double Accuracy)>();
if (fixedLearningRate is { } fixedLr && fixedEpochs is { } fixedEp)
    sweep.Add((fixedLr, fixedEp, double.NaN));   // the budget given on the command line; no validation run
else
    foreach (var lr in learningRates)
        foreach (var epochs in epochChoices)
            sweep.Add((lr, epochs, Accuracy(FineTune(pretrained, split.TrainSet, lr, epochs, $"sweep: lr {lr:G2}, {epochs} epochs"), split.TestSet)));
var best = sweep.MaxBy(s => s.Accuracy);
var sweepTable = new Table().AddColumns("learning rate", "epochs", "validation accuracy");
foreach (var s in sweep) sweepTable.AddRow($"{s.LearningRate:G2}", $"{s.Epochs}", double.IsNaN(s.Accuracy) ? "(given, not swept)" : s == best ? $"[bold]{s.Accuracy:P1}[/]" : $"{s.Accuracy:P1}");
AnsiConsole.Write(sweepTable);

var keyedTrain = toKey.Transform(sstTrain);
var keyedDev = toKey.Transform(sstDev);
var randomInit = RandomInit(pretrained);   // (b)'s starting point: written once, the same weights for every (b) run
results.Add(("SST-2", "(a) our pretrained, fine-tuned", Accuracy(FineTune(pretrained, keyedTrain, best.LearningRate, best.Epochs, "(a) pretrained"), keyedDev)));
results.Add(("SST-2", "(b) random init, fine-tuned", Accuracy(FineTune(randomInit, keyedTrain, best.LearningRate, best.Epochs, "(b) random init"), keyedDev)));
// The same comparison with little labelled data (the first 1,000 of those sentences), where pretraining should matter most.
var fewTrain = ml.Data.TakeRows(keyedTrain, 1000);
results.Add(("SST-2", "(a) pretrained, 1,000 sentences", Accuracy(FineTune(pretrained, fewTrain, best.LearningRate, best.Epochs, "(a) pretrained, 1,000 rows"), keyedDev)));
results.Add(("SST-2", "(b) random init, 1,000 sentences", Accuracy(FineTune(randomInit, fewTrain, best.LearningRate, best.Epochs, "(b) random init, 1,000 rows"), keyedDev)));
// And with a small budget on them (lr 5e-4 × 3 epochs = 96 steps): how far each start gets when steps are scarce.
const double smallLr = 5e-4; const int smallEpochs = 3;
results.Add(("SST-2", "(a) pretrained, 1,000, small budget", Accuracy(FineTune(pretrained, fewTrain, smallLr, smallEpochs, "(a) pretrained, 1,000 rows, small budget"), keyedDev)));
results.Add(("SST-2", "(b) random init, 1,000, small budget", Accuracy(FineTune(randomInit, fewTrain, smallLr, smallEpochs, "(b) random init, 1,000 rows, small budget"), keyedDev)));
var frozen = ml.Transforms.Text.TransformerEmbedding(pretrained, "Features", "Sentence1", pooling: EmbeddingPooling.Mean, maxSequenceLength: 64)
    .Append(ml.Transforms.NormalizeMeanVariance("Features"))
    .Append(ml.BinaryClassification.Trainers.LbfgsLogisticRegression("Label", "Features"));
results.Add(("SST-2", "(c) frozen embeddings + L-BFGS", ml.BinaryClassification.Evaluate(frozen.Fit(sstTrain).Transform(sstDev)).Accuracy));
var bagOfWords = ml.Transforms.Text.FeaturizeText("Features", "Sentence1").Append(ml.BinaryClassification.Trainers.LbfgsLogisticRegression("Label", "Features"));
results.Add(("SST-2", "(d) FeaturizeText + L-BFGS", ml.BinaryClassification.Evaluate(bagOfWords.Fit(sstTrain).Transform(sstDev)).Accuracy));

// ---- QNLI (does the sentence answer the question?): its public dev set, split into our own train and test parts.
var qnli = ml.Data.TrainTestSplit(ml.Data.TakeRows(Load<Pair>("qnli-dev.tsv"), qnliRows + 1000), testFraction: 1000.0 / (qnliRows + 1000), seed: 1);
var pairModel = WithBar("QNLI (a) pretrained", bar => ml.Transforms.Conversion.MapValueToKey("Label")
    .Append(ml.MulticlassClassification.Trainers.TextClassification(Options(pretrained, best.LearningRate, best.Epochs, bar, sentence2: "Sentence2", maxLength: 128)))
    .Fit(qnli.TrainSet));
results.Add(("QNLI", "(a) our pretrained, fine-tuned", ml.MulticlassClassification.Evaluate(pairModel.Transform(qnli.TestSet)).MicroAccuracy));
var pairBaseline = ml.Transforms.Text.FeaturizeText("F1", "Sentence1").Append(ml.Transforms.Text.FeaturizeText("F2", "Sentence2"))
    .Append(ml.Transforms.Concatenate("Features", "F1", "F2")).Append(ml.Transforms.Conversion.MapValueToKey("Label"))
    .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy("Label", "Features"));
results.Add(("QNLI", "(d) FeaturizeText + L-BFGS", ml.MulticlassClassification.Evaluate(pairBaseline.Fit(qnli.TrainSet).Transform(qnli.TestSet)).MicroAccuracy));

// ---- Part-of-speech tagging on Brown: one tag per word, genre-stratified (the last file of each genre is the test set).
var (posTrainRows, posTestRows) = BrownPos.Load(Path.Combine(data, "brown-pos"));
posTrainRows = posTrainRows.Where(s => s.Words.Split(' ').Length <= 60).Take(posSentences).ToList();
var posTrain = ml.Data.LoadFromEnumerable(posTrainRows);
var tags = ml.Data.LoadFromEnumerable(posTrainRows.Concat(posTestRows).SelectMany(s => s.Tags).Distinct().Order().Select(t => new TagRow { Tag = t }));
var tagger = WithBar("Brown POS (a) pretrained", bar => ml.Transforms.Conversion.MapValueToKey("Label", "Tags", keyData: tags)
    .Append(ml.MulticlassClassification.Trainers.NamedEntityRecognition(new NamedEntityRecognitionOptions
    {
        CheckpointDirectory = pretrained, Sentence1ColumnName = "Words", MaxEpochs = 8, BatchSize = 32, MaxSequenceLength = 128,
        Training = new TrainerOptions { LearningRate = 1e-3, Seed = seed, Progress = bar },
    }))
    .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedTags", "PredictedLabel"))
    .Fit(posTrain));
var predicted = tagger.Transform(ml.Data.LoadFromEnumerable(posTestRows)).GetColumn<string[]>("PredictedTags").ToList();
results.Add(("Brown POS", "(a) our pretrained, fine-tuned", BrownPos.WordAccuracy(posTestRows, predicted)));
results.Add(("Brown POS", "most frequent tag per word", BrownPos.WordAccuracy(posTestRows, BrownPos.MostFrequentTag(posTrainRows, posTestRows))));

// ---- The table and the chart.
var table = new Table().AddColumns("task", "model", "accuracy");
foreach (var r in results) table.AddRow(r.Task, Markup.Escape(r.Model), $"{r.Accuracy:P1}");
AnsiConsole.Write(table);
var plot = new Plot();   // horizontal bars, so each row's label is readable; the first row at the top
var bars = plot.Add.Bars(results.Select(r => r.Accuracy * 100).Reverse().ToArray());
bars.Horizontal = true;
plot.Axes.Left.SetTicks(Enumerable.Range(0, results.Count).Select(i => (double)i).ToArray(), results.Select(r => $"{r.Task}: {r.Model}").Reverse().ToArray());
plot.XLabel("accuracy (%)"); plot.Axes.SetLimitsX(0, 100);
var png = Path.GetFullPath("text-classification.png");
plot.SavePng(png, 1200, 700);
AnsiConsole.MarkupLine($"chart: [bold]{png}[/]");

// ---- Helpers.
IDataView Load<T>(string file) => ml.Data.LoadFromTextFile<T>(Path.Combine(data, file), separatorChar: '\t', hasHeader: true, allowQuoting: false);

TextClassificationOptions Options(string checkpoint, double lr, int epochs, IProgress<TrainingProgress> bar, string? sentence2 = null, int maxLength = 64) => new()
{
    CheckpointDirectory = checkpoint, LabelColumnName = "Label", Sentence1ColumnName = "Sentence1", Sentence2ColumnName = sentence2,
    MaxEpochs = epochs, BatchSize = 32, MaxSequenceLength = maxLength,
    Training = new TrainerOptions { LearningRate = lr, Seed = seed, Progress = bar },
};

ITransformer FineTune(string checkpoint, IDataView keyedTrain, double lr, int epochs, string name) =>
    WithBar(name, bar => ml.MulticlassClassification.Trainers.TextClassification(Options(checkpoint, lr, epochs, bar)).Fit(keyedTrain));

double Accuracy(ITransformer model, IDataView keyed) => ml.MulticlassClassification.Evaluate(model.Transform(keyed)).MicroAccuracy;

// A progress bar per training run (step, loss, time left), then one summary line.
T WithBar<T>(string name, Func<IProgress<TrainingProgress>, T> fit)
{
    T result = default!;
    TrainingProgress? last = null;
    var clock = System.Diagnostics.Stopwatch.StartNew();
    AnsiConsole.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
        .Start(ctx =>
        {
            var task = ctx.AddTask(Markup.Escape(name), maxValue: 1);
            result = fit(new Reporter(p =>
            {
                last = p;
                task.MaxValue = p.TotalSteps;
                task.Value = p.Step;
                task.Description = Markup.Escape($"{name}: loss {p.Loss:F3}");
            }));
        });
    AnsiConsole.MarkupLine(Markup.Escape($"{name}: {last?.Step} steps, final loss {last?.Loss:F3}, {clock.Elapsed.TotalSeconds:F0} s"));
    return result;
}

// The same architecture and vocabulary as the pretrained checkpoint, with HF's random initialisation.
string RandomInit(string like)
{
    var directory = Path.Combine(Path.GetTempPath(), $"mlnet-transformers-random-init-{Environment.ProcessId}");
    var config = BertCheckpoint.ReadConfig(like);
    TorchSharp.torch.manual_seed(seed);
    using var model = new BertModel(config);
    BertInitializer.Initialize(model, config);
    BertCheckpoint.Save(model, config, directory, "BertModel");
    foreach (var file in new[] { "vocab.txt", "tokenizer_config.json" })
        File.Copy(Path.Combine(like, file), Path.Combine(directory, file), overwrite: true);
    return directory;
}

internal sealed class Review
{
    [LoadColumn(0)] public string Sentence1 { get; set; } = "";
    [LoadColumn(1)] public bool Label { get; set; }
}

internal sealed class Pair
{
    [LoadColumn(1)] public string Sentence1 { get; set; } = "";
    [LoadColumn(2)] public string Sentence2 { get; set; } = "";
    [LoadColumn(3)] public string Label { get; set; } = "";
}

internal sealed class TagRow { public string Tag { get; set; } = ""; }

// Progress<T> posts to the thread pool; this reports synchronously so the lines stay in step order.
internal sealed class Reporter(Action<TrainingProgress> report) : IProgress<TrainingProgress>
{
    public void Report(TrainingProgress value) => report(value);
}
