using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transformers.Estimators;
using MLNet.Transformers.Models;
using MLNet.Transformers.Tests.Checkpoints;
using MLNet.Transformers.Transforms;
using static TorchSharp.torch;
using static MLNet.Transformers.Tests.Encoders.HfReference;

namespace MLNet.Transformers.Tests.Encoders;

/// <summary>
/// Fill-mask (PretrainMaskedLanguageModel with MaxEpochs = 0) on RoBERTa (&lt;mask&gt;) and DistilBERT ([MASK]) masked-LM
/// checkpoints: the top-k tokens and probabilities are HF's fill-mask pipeline on <see cref="HfReference"/>'s float64 logits
/// (each text run alone, unpadded, while the transformer pads a batch), <c>token_str</c> as HF's <c>decode([id])</c>;
/// SaveCheckpoint writes the family's HF MaskedLM layout, which reloads to the same answers, as does Model.Save/Load.
/// </summary>
[TestClass]
public sealed class EncoderFillMaskTests
{
    private sealed class Row { public string Text { get; set; } = ""; }

    private static EncoderFixture roberta = null!, distilbert = null!;

    [ClassInitialize]
    public static void Create(TestContext _)
    {
        roberta = EncoderFineTuningTests.WithTokenizerVocabulary("roberta");
        distilbert = EncoderFineTuningTests.WithTokenizerVocabulary("distilbert");
    }

    [ClassCleanup]
    public static void Remove() { roberta.Dispose(); distilbert.Dispose(); }

    private static string[] Texts(string family)
    {
        string mask = family == "roberta" ? "<mask>" : "[MASK]";
        return [$"The capital of France is {mask}.", "no mask in this one", $"{mask} sat on the {mask} — café 😀"];
    }

    private static FillMaskTransformer FillMask(MLContext ml, string directory, IDataView data, int topK = 4) =>
        ml.Transforms.Text.PretrainMaskedLanguageModel(new MaskedLanguageModelOptions { CheckpointDirectory = directory, MaxEpochs = 0, TopK = topK }).Fit(data);

    private static (string[] Tokens, float[] Scores)[] Run(ITransformer model, IDataView data)
    {
        var scored = model.Transform(data);
        var tokens = scored.GetColumn<VBuffer<ReadOnlyMemory<char>>>("FilledTokens").Select(v => v.DenseValues().Select(t => t.ToString()).ToArray()).ToArray();
        var scores = scored.GetColumn<VBuffer<float>>("FilledScores").Select(v => v.DenseValues().ToArray()).ToArray();
        return tokens.Zip(scores).ToArray();
    }

    // GPT-2's bytes_to_unicode, inverted: what HF's ByteLevel decoder does to one token's string.
    private static string ByteLevelDecode(string token)
    {
        var printable = Enumerable.Range('!', '~' - '!' + 1).Concat(Enumerable.Range('¡', '¬' - '¡' + 1)).Concat(Enumerable.Range('®', 'ÿ' - '®' + 1)).ToList();
        var byteOf = new Dictionary<char, byte>();
        int extra = 0;
        for (int b = 0; b < 256; b++) byteOf[printable.Contains(b) ? (char)b : (char)(256 + extra++)] = (byte)b;
        return Encoding.UTF8.GetString(token.Select(c => byteOf[c]).ToArray());
    }

    [TestMethod]
    [DataRow("roberta")]
    [DataRow("distilbert")]
    public void MaxEpochsZero_TopKTokensAndScores_EqualHuggingFaceFillMask(string family)
    {
        var f = family == "roberta" ? roberta : distilbert;
        var dir = EncoderFineTuningTests.Folder(f, "MaskedLM");
        var ml = new MLContext(seed: 1);
        var texts = Texts(family);
        var data = ml.Data.LoadFromEnumerable(texts.Select(t => new Row { Text = t }));
        using var fillMask = FillMask(ml, dir, data);
        var results = Run(fillMask, data);
        var tokenizer = EncoderCheckpoint.LoadTokenizer(dir);
        int maskId = family == "roberta" ? RobertaVocabulary.Build()["<mask>"] : 103;
        var vocabulary = family == "roberta" ? RobertaVocabulary.Build().ToDictionary(kv => kv.Value, kv => kv.Key) : null;
        for (int row = 0; row < texts.Length; row++)
        {
            using var scope = NewDisposeScope();
            var ids = tokenizer.Encode(texts[row]).InputIds.Select(x => (long)x).ToArray();
            var masks = Enumerable.Range(0, ids.Length).Where(i => ids[i] == maskId).ToArray();
            Assert.AreEqual(row == 0 ? 1 : row == 1 ? 0 : 2, masks.Length, $"row {row}: masks found");
            Assert.AreEqual(masks.Length * 4, results[row].Tokens.Length, $"row {row}: 4 candidates per mask");
            var input = tensor(ids).unsqueeze(0);
            var logits = family == "roberta"
                ? RobertaMlmLogits(f.W, Roberta(f.W, input, ones_like(input)).Hidden)
                : DistilBertMlmLogits(f.W, DistilBert(f.W, input, ones_like(input)));
            for (int m = 0; m < masks.Length; m++)
            {
                var (values, indices) = logits[0, masks[m]].softmax(-1).topk(4);
                for (int k = 0; k < 4; k++)
                {
                    int id = (int)indices[k].item<long>();
                    // token_str = decode([id]): RoBERTa's byte-level string decoded ("ĠParis" → " Paris"), WordPiece's as it is.
                    string expected = vocabulary is null ? tokenizer.IdToToken(id) : ByteLevelDecode(vocabulary[id]);
                    Assert.AreEqual(expected, results[row].Tokens[m * 4 + k], $"row {row}, mask {m}, rank {k}");
                    Assert.AreEqual(values[k].item<double>(), results[row].Scores[m * 4 + k], 1e-4, $"row {row}, mask {m}, rank {k} probability");
                }
            }
        }
    }

    [TestMethod]
    [DataRow("roberta")]
    [DataRow("distilbert")]
    public void SaveCheckpoint_WritesTheFamilysMaskedLMLayout_AndModelSaveLoadRoundTrips(string family)
    {
        var f = family == "roberta" ? roberta : distilbert;
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Texts(family).Select(t => new Row { Text = t }));
        using var fillMask = FillMask(ml, EncoderFineTuningTests.Folder(f, "MaskedLM"), data);
        var expected = Run(fillMask, data);

        using var saved = new TempDirectory();
        fillMask.SaveCheckpoint(saved.Path);
        string architecture = family == "roberta" ? "RobertaForMaskedLM" : "DistilBertForMaskedLM";
        StringAssert.Contains(File.ReadAllText(saved.File("config.json")), architecture);
        var keys = MLNet.Transformers.Checkpoints.CheckpointLoader.LoadStateDict(saved.Path).Keys.ToHashSet();
        var headKeys = family == "roberta"
            ? new[] { "lm_head.dense.weight", "lm_head.layer_norm.weight", "lm_head.bias", "roberta.embeddings.word_embeddings.weight" }
            : new[] { "vocab_transform.weight", "vocab_layer_norm.bias", "vocab_projector.bias", "distilbert.embeddings.word_embeddings.weight" };
        foreach (var key in headKeys) Assert.IsTrue(keys.Contains(key), $"{architecture} key {key}");
        Assert.IsFalse(keys.Any(k => k.Contains("pooler", StringComparison.Ordinal) || k.EndsWith("decoder.weight", StringComparison.Ordinal) || k == "vocab_projector.weight"),
            "no pooler and no copy of the tied decoder, as HF saves them");
        foreach (var file in family == "roberta" ? new[] { "vocab.json", "merges.txt", "tokenizer_config.json" } : new[] { "vocab.txt", "tokenizer_config.json" })
            Assert.IsTrue(File.Exists(saved.File(file)), file);
        using (var reloaded = FillMask(ml, saved.Path, data))
            AssertSame(expected, Run(reloaded, data), "after SaveCheckpoint");

        ml.Model.Save(fillMask, data.Schema, saved.File("model.zip"));
        var loaded = ml.Model.Load(saved.File("model.zip"), out _);
        AssertSame(expected, Run(loaded, data), "after Model.Load");
        (loaded as IDisposable)?.Dispose();
    }

    [TestMethod]
    [DataRow("roberta")]
    [DataRow("distilbert")]
    public void ContinuingPretraining_WithNextSentencePrediction_IsAClearErrorNamingTheModelType(string family)
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Texts(family).Select(t => new Row { Text = t }));
        var e = Assert.Throws<ArgumentException>(() => ml.Transforms.Text.PretrainMaskedLanguageModel(new MaskedLanguageModelOptions
        {
            CheckpointDirectory = EncoderFineTuningTests.Folder(family == "roberta" ? roberta : distilbert, "MaskedLM"), MaxEpochs = 1,
        }).Fit(data));
        StringAssert.Contains(e.Message, $"'{family}'");
        StringAssert.Contains(e.Message, "NextSentencePrediction = false");
    }

    [TestMethod]
    [DataRow("roberta")]
    [DataRow("distilbert")]
    public void ContinuedPretraining_LowersTheMaskedLMLoss_AndSavesTheFamilysLayout(string family)
    {
        using var threads = new FineTuning.SingleThreadedTorch();
        var f = family == "roberta" ? roberta : distilbert;
        string[] sentences = ["the cat sat on the mat .", "the dog sat on the log .", "a bird sang in the tree .", "the sun is hot and the sky is blue ."];
        var corpus = Enumerable.Range(0, 96).Select(i => new Row { Text = sentences[i % sentences.Length] }).ToArray();
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(corpus);
        var estimator = ml.Transforms.Text.PretrainMaskedLanguageModel(new MaskedLanguageModelOptions
        {
            CheckpointDirectory = EncoderFineTuningTests.Folder(f, "MaskedLM"), NextSentencePrediction = false, MaxSequenceLength = 16,
            MaxEpochs = 12, BatchSize = 16, ValidationFraction = 0, TopK = 3,
            Training = new MLNet.Transformers.Training.TrainerOptions { LearningRate = 5e-3 },
        });
        using var fillMask = estimator.Fit(data);
        var losses = estimator.LastTrainingResult!.LossHistory;
        Console.WriteLine($"{family}: {losses.Count} steps, loss {string.Join(" ", losses.Select(l => l.ToString("F2")))}");
        double last = losses.Skip(losses.Count - 4).Average();
        Assert.IsTrue(last < losses.Take(4).Average() / 2, $"{family}: loss {losses[0]:F3} → {losses[^1]:F3}");
        Assert.IsTrue(last < Math.Log(fillMask.Tokenizer.VocabularySize) - 1, $"{family}: final loss {last:F3} should be well below the uniform guess ln V");

        string mask = family == "roberta" ? "<mask>" : "[MASK]";
        var probe = ml.Data.LoadFromEnumerable(new[] { new Row { Text = $"the cat sat on the {mask} ." } });
        var expected = Run(fillMask, probe);
        using var saved = new TempDirectory();
        fillMask.SaveCheckpoint(saved.Path);
        StringAssert.Contains(File.ReadAllText(saved.File("config.json")), family == "roberta" ? "RobertaForMaskedLM" : "DistilBertForMaskedLM");
        using var reloaded = FillMask(ml, saved.Path, probe, topK: 3);
        AssertSame(expected, Run(reloaded, probe), "after SaveCheckpoint");
    }

    [TestMethod]
    public void MaskedLMCheckpointWithoutItsHead_IsAnErrorListingTheMissingKeys()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Texts("roberta").Select(t => new Row { Text = t }));
        var e = Assert.Throws<InvalidOperationException>(() => FillMask(ml, EncoderFineTuningTests.Folder(roberta, "Pretrained"), data));
        StringAssert.Contains(e.Message, "lm_head");
    }

    private static void AssertSame((string[] Tokens, float[] Scores)[] expected, (string[] Tokens, float[] Scores)[] actual, string when)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            CollectionAssert.AreEqual(expected[i].Tokens, actual[i].Tokens, $"row {i} tokens {when}");
            for (int k = 0; k < expected[i].Scores.Length; k++) Assert.AreEqual(expected[i].Scores[k], actual[i].Scores[k], 1e-5f, $"row {i} score {k} {when}");
        }
    }
}
