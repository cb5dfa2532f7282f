using System.Diagnostics;
using Microsoft.ML; using Microsoft.ML.Data;
using MLNet.Transformers; using MLNet.Transformers.Estimators; using MLNet.Transformers.Training;
var fixture = "/work/wt/finetune/test/MLNet.Transformers.Tests/TestData/bert-tiny-random";
var ml = new MLContext(1);
string[] good = ["great", "wonderful", "superb", "delightful", "brilliant", "charming", "moving", "excellent"];
string[] bad = ["awful", "boring", "dull", "terrible", "tedious", "clumsy", "bland", "horrible"];
string[] filler = ["the", "film", "is", "a", "story", "and", "very", "acting", "plot", "was"];
Row[] Toy(int count, int seed) { var r = new Random(seed); return Enumerable.Range(0, count).Select(i => { bool p = i % 2 == 0; return new Row { Sentence1 = string.Join(" ", Enumerable.Range(0, 6).Select(j => j % 3 == 1 ? (p ? good : bad)[r.Next(8)] : filler[r.Next(10)])), Sentiment = p ? "positive" : "negative" }; }).ToArray(); }
var sw = Stopwatch.StartNew();
var train = ml.Data.LoadFromEnumerable(Toy(64, 1));
var keyed = ml.Transforms.Conversion.MapValueToKey("Label", "Sentiment").Fit(train).Transform(train);
var est = ml.MulticlassClassification.Trainers.TextClassification(new TextClassificationOptions { CheckpointDirectory = fixture, MaxEpochs = int.Parse(args[0]), BatchSize = 16, MaxSequenceLength = 32,
  Training = new TrainerOptions { LearningRate = 3e-3, Progress = new Progress<TrainingProgress>(p => {}) } });
var t = est.Fit(keyed);
Console.WriteLine($"fit {sw.ElapsedMilliseconds} ms; steps {est.LastTrainingResult?.StepsRun}");
sw.Restart();
var m = ml.MulticlassClassification.Evaluate(t.Transform(keyed));
Console.WriteLine($"eval {sw.ElapsedMilliseconds} ms acc {m.MicroAccuracy}");
class Row { public string Sentence1 { get; set; } = ""; public string Sentiment { get; set; } = ""; }
