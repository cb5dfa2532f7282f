using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transformers.Models;
using static TorchSharp.torch;
using static MLNet.Transformers.Tests.Encoders.HfReference;

namespace MLNet.Transformers.Tests.Encoders;

/// <summary>
/// NamedEntityRecognition with <c>maxEpochs: 0</c> on RoBERTa and DistilBERT token-classification checkpoints: each word gets
/// the argmax of HF's token logits (<see cref="HfReference"/>) at its first token.
/// </summary>
[TestClass]
public sealed class EncoderTokenClassificationTests
{
    private sealed class SentenceOnly
    {
        public string Sentence { get; set; } = "";
    }

    private static readonly Dictionary<string, string> Tags = new() { ["0"] = "O", ["1"] = "B-PER", ["2"] = "B-LOC" };

    [TestMethod]
    [DataRow("roberta")]
    [DataRow("distilbert")]
    public void MaxEpochsZero_TagsWithTheCheckpointHead_EqualToHuggingFaceMath(string family)
    {
        using var f = EncoderFineTuningTests.WithTokenizerVocabulary(family);
        var dir = f.Write("TokenClassification", withPooler: false, id2label: Tags);
        if (family == "roberta") RobertaVocabulary.WriteTo(dir);
        else foreach (var file in new[] { "vocab.txt", "tokenizer_config.json" })
                File.Copy(Path.Combine(Models.BertParityTests.FixtureDirectory, file), Path.Combine(dir, file));

        var ml = new MLContext(seed: 1);
        string[] sentences = ["Unbelievably, Jürgen visited Zürich yesterday", "Hello world", "東京 is big 😀"];
        var data = ml.Data.LoadFromEnumerable(sentences.Select(s => new SentenceOnly { Sentence = s }));
        using var transformer = ml.MulticlassClassification.Trainers.NamedEntityRecognition(dir, maxEpochs: 0).Fit(data);
        var keys = transformer.Transform(data).GetColumn<VBuffer<uint>>("PredictedLabel").Select(v => v.DenseValues().ToArray()).ToArray();
        var tokenizer = EncoderCheckpoint.LoadTokenizer(dir);
        for (int i = 0; i < sentences.Length; i++)
        {
            using var scope = NewDisposeScope();
            var e = tokenizer.Encode(sentences[i]);
            var ids = tensor(e.InputIds.Select(x => (long)x).ToArray()).unsqueeze(0);
            var hidden = family == "roberta" ? Roberta(f.W, ids, ones_like(ids)).Hidden : DistilBert(f.W, ids, ones_like(ids));
            var argmax = TokenLogits(f.W, "token.classifier", hidden).argmax(-1)[0];
            var words = sentences[i].Split(' ');
            int start = 0;
            var expected = new uint[words.Length];
            for (int w = 0; w < words.Length; w++)
            {
                int first = Enumerable.Range(0, e.InputIds.Length).First(t => e.SequenceIds[t] == 0 && e.Offsets[t].Start >= start);
                expected[w] = (uint)argmax[first].item<long>() + 1;
                start += words[w].Length + 1;
            }
            CollectionAssert.AreEqual(expected, keys[i], $"sentence {i}");
        }
    }
}
