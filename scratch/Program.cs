using System.Diagnostics;
using Microsoft.ML; using Microsoft.ML.Data;
using MLNet.Transformers; using MLNet.Transformers.Estimators; using MLNet.Transformers.Training;
TorchSharp.torch.set_num_threads(int.Parse(args[3]));
var fixture = "/work/wt/finetune/test/MLNet.Transformers.Tests/TestData/bert-tiny-random";
var dir = "/work/wt/finetune/test/MLNet.Transformers.Tests/TestData/brown-pos-subset";
List<Row> Read(string suffix) => Directory.GetFiles(dir).Where(f => f.EndsWith(suffix)).Order().SelectMany(File.ReadLines)
   .Select(l => l.Split(' ', '\t').Where(t => t.Contains('/')).Select(t => { int i = t.LastIndexOf('/'); var tag = t[(i+1)..]; int d = tag.IndexOf('-', 1); return (w: t[..i], tag: d > 0 ? tag[..d] : tag); }).ToArray())
   .Where(s => s.Length > 0 && s.Length <= int.Parse(args[2])).Select(s => new Row { Sentence = string.Join(" ", s.Select(x => x.w)), Label = s.Select(x => x.tag).ToArray() }).ToList();
var train = Read("01"); var test = Read("02");
Console.WriteLine($"train {train.Count} sentences {train.Sum(r => r.Label.Length)} words; test {test.Count} / {test.Sum(r => r.Label.Length)}");
var ml = new MLContext(1);
var sw = Stopwatch.StartNew();
var model = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.MulticlassClassification.Trainers.NamedEntityRecognition(new NamedEntityRecognitionOptions {
  CheckpointDirectory = fixture, MaxEpochs = int.Parse(args[0]), BatchSize = 16, MaxSequenceLength = 64, Training = new TrainerOptions { LearningRate = double.Parse(args[1]) } }))
  .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel")).Fit(ml.Data.LoadFromEnumerable(train));
Console.WriteLine($"fit {sw.ElapsedMilliseconds} ms");
var pred = model.Transform(ml.Data.LoadFromEnumerable(test)).GetColumn<string[]>("PredictedLabel").ToArray();
var pairs = test.SelectMany((r, i) => r.Label.Zip(pred[i])).ToList();
var words = test.SelectMany(r => r.Sentence.Split(' ').Zip(r.Label)).ToList();
var top = train.SelectMany(r => r.Label).GroupBy(t => t).MaxBy(g => g.Count())!.Key;
var unigram = train.SelectMany(r => r.Sentence.Split(' ').Zip(r.Label)).GroupBy(p => p.First.ToLowerInvariant()).ToDictionary(g => g.Key, g => g.GroupBy(p => p.Second).MaxBy(x => x.Count())!.Key);
Console.WriteLine($"acc {pairs.Count(p => p.First == p.Second) / (double)pairs.Count:P1}; most frequent tag '{top}' {words.Count(w => w.Second == top) / (double)words.Count:P1}; unigram {words.Count(w => (unigram.TryGetValue(w.First.ToLowerInvariant(), out var t) ? t : top) == w.Second) / (double)words.Count:P1}");
class Row { public string Sentence { get; set; } = ""; public string[] Label { get; set; } = []; }
