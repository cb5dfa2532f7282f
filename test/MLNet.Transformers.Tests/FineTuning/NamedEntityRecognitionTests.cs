using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transformers.Estimators;
using MLNet.Transformers.Models;
using MLNet.Transformers.Models.Bert;
using MLNet.Transformers.Tests.Checkpoints;
using MLNet.Transformers.Tests.Models;
using MLNet.Transformers.Tests.Persistence;
using MLNet.Transformers.Tokenization;
using MLNet.Transformers.Training;
using MLNet.Transformers.Transforms;
using static TorchSharp.torch;

namespace MLNet.Transformers.Tests.FineTuning;

[TestClass]
public sealed class NamedEntityRecognitionTests
{
    internal sealed class NerRow
    {
        public string Sentence { get; set; } = "";
        public string[] Label { get; set; } = [];
    }

    private sealed class LabelKey
    {
        public string Key { get; set; } = "";
    }

    private sealed class SentenceOnly
    {
        public string Sentence { get; set; } = "";
    }

    private static string Fixture => BertParityTests.FixtureDirectory;

    private static IDataView Labels(MLContext ml) =>
        ml.Data.LoadFromEnumerable(new[] { new LabelKey { Key = "PERSON" }, new LabelKey { Key = "CITY" }, new LabelKey { Key = "COUNTRY" } });

    /// <summary>Toy NER: names → PERSON, cities → CITY, countries → COUNTRY, everything else "0" (not in keyData: missing key).</summary>
    private static NerRow[] ToyNer(int count, int seed, bool tagOthers = false)
    {
        string[] people = ["alice", "bob", "carol", "dave", "erin", "frank"], cities = ["paris", "london", "berlin", "madrid", "rome", "vienna"],
            countries = ["france", "germany", "spain", "italy", "austria", "usa"], others = ["and", "live", "in", "the", "visited", "from", "likes", "near"];
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            var words = new List<(string Word, string Tag)>();
            for (int i = 0; i < 7; i++)
            {
                int kind = random.Next(5);
                words.Add(kind switch
                {
                    0 => (people[random.Next(6)], "PERSON"),
                    1 => (cities[random.Next(6)], "CITY"),
                    2 => (countries[random.Next(6)], "COUNTRY"),
                    _ => (others[random.Next(8)], tagOthers ? "OTHER" : "0"),
                });
            }
            return new NerRow { Sentence = string.Join(" ", words.Select(w => w.Word)), Label = words.Select(w => w.Tag).ToArray() };
        }).ToArray();
    }

    [TestMethod]
    public void MLNetTestShape_MapValueToKeyWithKeyData_Ner_MapKeyToValue_GivesOneTagPerWord()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[]
        {
            new NerRow { Sentence = "Alice and Bob live in the USA", Label = ["PERSON", "0", "PERSON", "0", "0", "0", "COUNTRY"] },
            new NerRow { Sentence = "Alice and Bob live in the USA", Label = ["PERSON", "0", "PERSON", "0", "0", "0", "COUNTRY"] },
        });
        var estimator = ml.Transforms.Conversion.MapValueToKey("Label", keyData: Labels(ml))
            .Append(ml.MulticlassClassification.Trainers.NamedEntityRecognition(Fixture, outputColumnName: "outputColumn", maxEpochs: 1))
            .Append(ml.Transforms.Conversion.MapKeyToValue("outputColumn"));
        var estimatorSchema = estimator.GetOutputSchema(TextClassificationTests.EstimatorSchemaOf(data));
        Assert.AreEqual(3, estimatorSchema.Count);
        Assert.AreEqual("outputColumn", estimatorSchema[2].Name);
        Assert.AreEqual(TextDataViewType.Instance, estimatorSchema[2].ItemType);

        var transformer = estimator.Fit(data);
        var schema = transformer.GetOutputSchema(data.Schema);
        Assert.AreEqual(5, schema.Count);
        Assert.AreEqual("outputColumn", schema[4].Name);
        var tags = transformer.Transform(data).GetColumn<string[]>("outputColumn").ToArray();
        Assert.AreEqual(2, tags.Length);
        foreach (var row in tags)
        {
            Assert.AreEqual(7, row.Length);
            Assert.IsTrue(row.All(t => t is "PERSON" or "CITY" or "COUNTRY"), string.Join(",", row));
        }
        transformer.Dispose();
    }

    [TestMethod]
    public void Learning_ToyEntitiesAreTaggedOnHeldOutSentences_AndEvaluateWorksPerWord()
    {
        using var threads = new SingleThreadedTorch();
        var ml = new MLContext(seed: 1);
        var toKey = ml.Transforms.Conversion.MapValueToKey("Label");
        var train = ml.Data.LoadFromEnumerable(ToyNer(64, seed: 1, tagOthers: true));
        var test = ToyNer(24, seed: 2, tagOthers: true);
        var model = toKey.Append(ml.MulticlassClassification.Trainers.NamedEntityRecognition(new NamedEntityRecognitionOptions
        {
            CheckpointDirectory = Fixture, MaxEpochs = 8, BatchSize = 16, MaxSequenceLength = 24, Training = new TrainerOptions { LearningRate = 3e-3 },
        })).Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel")).Fit(train);
        var predicted = model.Transform(ml.Data.LoadFromEnumerable(test)).GetColumn<string[]>("PredictedLabel").ToArray();
        var pairs = test.SelectMany((row, i) => row.Label.Zip(predicted[i])).ToList();
        double accuracy = pairs.Count(p => p.First == p.Second) / (double)pairs.Count;
        double baseline = pairs.GroupBy(p => p.First).Max(g => g.Count()) / (double)pairs.Count;   // most frequent tag
        Assert.IsTrue(accuracy > 0.9 && accuracy > baseline + 0.2, $"word accuracy {accuracy:P1} vs most-frequent-tag {baseline:P1}");
    }

    [TestMethod]
    public void MaxEpochsZero_TagsWithTheCheckpointHead_EqualToHuggingFaceMath()
    {
        using var head = new HeadFixture(numLabels: 5, names: ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"], dropPooler: true);
        var expected = BertParityTests.Expected.Load();
        using var model = EncoderCheckpoint.LoadForTokenClassification(head.Path, 5, requireHead: true);
        model.eval();
        using (var scope = NewDisposeScope())
            BertParityTests.AssertClose(head.TokenLogits(expected), model.forward(expected.InputIds, expected.TokenTypeIds, expected.AttentionMask), "token logits");

        // Through the pipeline: each word takes the argmax at its first piece, found here HF's way (words encoded one by one).
        var ml = new MLContext(seed: 1);
        string[] sentences = ["Unbelievably, Jürgen visited U.S. embassies yesterday", "short one", "tokenization splits words"];
        var data = ml.Data.LoadFromEnumerable(sentences.Select(s => new SentenceOnly { Sentence = s }));
        using var transformer = ml.MulticlassClassification.Trainers.NamedEntityRecognition(head.Path, maxEpochs: 0).Fit(data);
        var keys = transformer.Transform(data).GetColumn<VBuffer<uint>>("PredictedLabel").Select(v => v.DenseValues().ToArray()).ToArray();
        var tokenizer = BertWordPieceTokenizer.FromDirectory(head.Path);
        for (int i = 0; i < sentences.Length; i++)
        {
            var words = sentences[i].Split(' ');
            var pieces = words.Select(w => tokenizer.Tokenize(w)).ToArray();
            Assert.IsTrue(i > 0 || pieces.Any(p => p.Length > 1), "the first sentence has words of several pieces");
            var ids = new[] { tokenizer.ClsTokenId }.Concat(pieces.SelectMany(p => p)).Append(tokenizer.SepTokenId).Select(x => (long)x).ToArray();
            using var scope = NewDisposeScope();
            var idTensor = tensor(ids).unsqueeze(0);
            var argmax = model.forward(idTensor, zeros_like(idTensor), ones_like(idTensor)).argmax(-1)[0];
            int position = 1;
            var expectedKeys = new uint[words.Length];
            for (int w = 0; w < words.Length; w++) { expectedKeys[w] = (uint)argmax[position].item<long>() + 1; position += pieces[w].Length; }
            CollectionAssert.AreEqual(expectedKeys, keys[i], $"sentence {i}");
        }
        var names = ml.Transforms.Conversion.MapKeyToValue("Tags", "PredictedLabel").Fit(transformer.Transform(data)).Transform(transformer.Transform(data));
        Assert.IsTrue(names.GetColumn<string[]>("Tags").SelectMany(t => t).All(t => t is "O" or "B-PER" or "I-PER" or "B-LOC" or "I-LOC"));
    }

    [TestMethod]
    public void LongSentence_IsTaggedWindowByWindow_OneKeyPerWord()
    {
        using var head = new HeadFixture(numLabels: 5, dropPooler: true);
        var ml = new MLContext(seed: 1);
        var words = Enumerable.Range(0, 60).Select(i => i % 7 == 3 ? "unbelievably" : i % 5 == 0 ? "Paris" : "the").ToArray();   // ~90 pieces
        var sentence = string.Join(" ", words);
        var options = new NamedEntityRecognitionOptions { CheckpointDirectory = head.Path, MaxEpochs = 0, MaxSequenceLength = 16 };
        var data = ml.Data.LoadFromEnumerable(new[] { new SentenceOnly { Sentence = sentence }, new SentenceOnly { Sentence = "  two   spaces " } });
        using var transformer = ml.MulticlassClassification.Trainers.NamedEntityRecognition(options).Fit(data);
        var tagged = transformer.Predict([sentence, "  two   spaces ", "", null]);
        Assert.AreEqual(60, tagged[0].Length, "every word of a sentence longer than the window gets a key");
        Assert.AreEqual(2, tagged[1].Length, "empty words from repeated spaces are dropped");
        Assert.AreEqual(0, tagged[2].Length);
        Assert.AreEqual(0, tagged[3].Length);
        Assert.IsTrue(tagged[0].All(k => k is >= 1 and <= 5));

        // What happens past the window: consecutive word-aligned windows, each tagged as if it were its own sentence.
        var tokenizer = BertWordPieceTokenizer.FromDirectory(head.Path);
        int used = 0, end = 0;
        while (end < words.Length && used + tokenizer.Tokenize(words[end]).Length <= 14) used += tokenizer.Tokenize(words[end++]).Length;
        var firstWindow = transformer.Predict([string.Join(" ", words[..end])])[0];
        var secondStart = transformer.Predict([string.Join(" ", words[end..])])[0];
        CollectionAssert.AreEqual(firstWindow, tagged[0][..end]);
        CollectionAssert.AreEqual(secondStart.Take(5).ToArray(), tagged[0][end..(end + 5)]);
    }

    [TestMethod]
    public void SaveLoad_TwiceInProcess_FreshProcess_PredictionEngine_AndCheckpointRoundTrip()
    {
        var ml = new MLContext(seed: 1);
        // The fresh-process probe rows have "Text"; train on the toy data renamed to that column.
        var rows = ToyNer(8, seed: 3);
        var data = ml.Data.LoadFromEnumerable(rows.Select(r => new { Text = r.Sentence, r.Label }));
        var keyed = ml.Transforms.Conversion.MapValueToKey("Label", keyData: Labels(ml)).Fit(data).Transform(data);
        // Saved alone (the probe rows have no label for MapValueToKey to map).
        var model = ml.MulticlassClassification.Trainers.NamedEntityRecognition(Fixture, sentence1ColumnName: "Text", maxEpochs: 1, batchSize: 4).Fit(keyed);
        var probe = FreshProcess.ProbeData.Sample(ml);
        var before = FreshProcess.ProbeData.FormatKeys(model.Transform(probe), "PredictedLabel").ToArray();
        CollectionAssert.AreEqual(new[] { 3, 0, 4, 1, 2 }, before.Select(l => l.Length == 0 ? 0 : l.Split(' ').Length).ToArray(), "one key per word of each probe row");

        using var dir = new TempDirectory();
        ml.Model.Save(model, keyed.Schema, dir.File("model.zip"));
        for (int i = 0; i < 2; i++)
            CollectionAssert.AreEqual(before, FreshProcess.ProbeData.FormatKeys(ml.Model.Load(dir.File("model.zip"), out _).Transform(probe), "PredictedLabel").ToArray());
        CollectionAssert.AreEqual(before.Where(l => l.Length > 0).ToArray(), FreshProcessRunner.Run(dir.File("model.zip"), "--keys", "PredictedLabel"));   // the runner drops empty lines (row 1 has no words)

        var engine = ml.Model.CreatePredictionEngine<FreshProcess.ProbeData.Row, KeysOnly>(model);
        Assert.AreEqual(before[0], string.Join(" ", engine.Predict(FreshProcess.ProbeData.Rows[0]).PredictedLabel));

        var tagger = model;
        tagger.SaveCheckpoint(dir.File("checkpoint"));
        var config = BertCheckpoint.ReadConfig(dir.File("checkpoint"));
        CollectionAssert.AreEqual(new[] { "BertForTokenClassification" }, config.Architectures);
        CollectionAssert.AreEqual(new[] { "PERSON", "CITY", "COUNTRY" }, config.Id2Label!.OrderBy(kv => kv.Key).Select(kv => kv.Value).ToArray());
        var options = new NamedEntityRecognitionOptions { CheckpointDirectory = dir.File("checkpoint"), Sentence1ColumnName = "Text", MaxEpochs = 0 };
        using var reloaded = ml.MulticlassClassification.Trainers.NamedEntityRecognition(options).Fit(probe);
        CollectionAssert.AreEqual(before, FreshProcess.ProbeData.FormatKeys(reloaded.Transform(probe), "PredictedLabel").ToArray());
        model.Dispose();
    }

    private sealed class KeysOnly
    {
        [KeyType(3)] public uint[] PredictedLabel { get; set; } = [];
    }

    [TestMethod]
    public void Errors_NameColumnAndRow_LabelCountMismatchAndNonKeyLabel()
    {
        var ml = new MLContext(seed: 1);
        var rows = ToyNer(4, seed: 1);
        rows[2].Label = rows[2].Label[..^1];
        var bad = ml.Transforms.Conversion.MapValueToKey("Label", keyData: Labels(ml))
            .Append(ml.MulticlassClassification.Trainers.NamedEntityRecognition(Fixture, maxEpochs: 1));
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => bad.Fit(ml.Data.LoadFromEnumerable(rows)));
        StringAssert.Contains(e.Message, "'Label', row 2: 6 labels for 7 words");

        var notKey = Assert.ThrowsExactly<ArgumentException>(() =>
            ml.MulticlassClassification.Trainers.NamedEntityRecognition(Fixture, maxEpochs: 1).Fit(ml.Data.LoadFromEnumerable(ToyNer(2, 1))));
        StringAssert.Contains(notKey.Message, "'Label'");
    }
}
