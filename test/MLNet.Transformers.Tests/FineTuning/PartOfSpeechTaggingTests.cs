using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transformers.Estimators;
using MLNet.Transformers.Tests.Models;
using MLNet.Transformers.Training;

namespace MLNet.Transformers.Tests.FineTuning;

/// <summary>
/// Token classification on real data: part-of-speech tagging on a genre-stratified Brown subset (TestData/brown-pos-subset:
/// train on the *01 files, test on the *02 files of four genres) through <c>NamedEntityRecognition</c>.
/// </summary>
[TestClass]
public sealed class PartOfSpeechTaggingTests
{
    private sealed class Row
    {
        public string Sentence { get; set; } = "";
        public string[] Label { get; set; } = [];
    }

    private static readonly string Directory_ = Path.Combine(AppContext.BaseDirectory, "TestData", "brown-pos-subset");

    // "word/tag" tokens, one sentence per line; tag modifiers after '-' (e.g. nn-tl = title noun) folded into the base tag.
    private static List<Row> Read(string suffix, int maxWords) => Directory.GetFiles(Directory_)
        .Where(f => Path.GetFileName(f).EndsWith(suffix)).Order(StringComparer.Ordinal).SelectMany(File.ReadLines)
        .Select(line => line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries).Where(t => t.Contains('/')).Select(t =>
        {
            int slash = t.LastIndexOf('/');
            string tag = t[(slash + 1)..];
            int dash = tag.IndexOf('-', 1);
            return (Word: t[..slash], Tag: dash > 0 ? tag[..dash] : tag);
        }).ToArray())
        .Where(s => s.Length is > 0 && s.Length <= maxWords)
        .Select(s => new Row { Sentence = string.Join(" ", s.Select(x => x.Word)), Label = s.Select(x => x.Tag).ToArray() })
        .ToList();

    [TestMethod]
    public void BrownPos_HeldOutGenresBeatTheMostFrequentTagBaseline()
    {
        using var threads = new SingleThreadedTorch();
        var train = Read("01", maxWords: 30);
        var test = Read("02", maxWords: 30);
        var ml = new MLContext(seed: 1);
        var model = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.NamedEntityRecognition(new NamedEntityRecognitionOptions
            {
                CheckpointDirectory = BertParityTests.FixtureDirectory, MaxEpochs = 3, BatchSize = 16, MaxSequenceLength = 64,
                Training = new TrainerOptions { LearningRate = 3e-3 },
            }))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"))
            .Fit(ml.Data.LoadFromEnumerable(train));
        var predicted = model.Transform(ml.Data.LoadFromEnumerable(test)).GetColumn<string[]>("PredictedLabel").ToArray();

        var gold = test.SelectMany(r => r.Sentence.Split(' ').Zip(r.Label)).ToList();
        var pairs = test.SelectMany((r, i) => r.Label.Zip(predicted[i])).ToList();
        Assert.AreEqual(gold.Count, pairs.Count, "one tag per word");
        double accuracy = pairs.Count(p => p.First == p.Second) / (double)pairs.Count;
        string top = train.SelectMany(r => r.Label).GroupBy(t => t).MaxBy(g => g.Count())!.Key;
        double mostFrequentTag = gold.Count(w => w.Second == top) / (double)gold.Count;
        var perWord = train.SelectMany(r => r.Sentence.Split(' ').Zip(r.Label)).GroupBy(p => p.First.ToLowerInvariant())
            .ToDictionary(g => g.Key, g => g.GroupBy(p => p.Second).MaxBy(x => x.Count())!.Key);
        double unigram = gold.Count(w => (perWord.TryGetValue(w.First.ToLowerInvariant(), out var t) ? t : top) == w.Second) / (double)gold.Count;
        string report = $"word accuracy {accuracy:P1}; most-frequent-tag ('{top}') {mostFrequentTag:P1}; per-word most-frequent-tag {unigram:P1}";
        Console.WriteLine(report);
        Assert.IsTrue(accuracy > mostFrequentTag + 0.2, report);
    }
}
