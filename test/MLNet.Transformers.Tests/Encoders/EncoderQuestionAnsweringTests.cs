using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transformers.Estimators;
using MLNet.Transformers.Models;
using MLNet.Transformers.Tests.Checkpoints;
using MLNet.Transformers.Tests.FineTuning;
using MLNet.Transformers.Tests.QuestionAnswering;
using MLNet.Transformers.Tokenization;
using MLNet.Transformers.Training;
using MLNet.Transformers.Transforms;
using static TorchSharp.torch;
using static MLNet.Transformers.Tests.Encoders.HfReference;

namespace MLNet.Transformers.Tests.Encoders;

/// <summary>
/// QuestionAnswer on RoBERTa and DistilBERT checkpoints. MaxEpochs = 0 gives HF's question-answering pipeline: the reference
/// here packs each window itself (RoBERTa <c>&lt;s&gt; q &lt;/s&gt;&lt;/s&gt; c &lt;/s&gt;</c>, window = max − q − 4; DistilBERT
/// <c>[CLS] q [SEP] c [SEP]</c>, max − q − 3), runs <see cref="HfReference"/>'s float64 encoder + qa_outputs on it alone
/// (unpadded; the transformer pads batches of windows) and scores as transformers' question_answering.py does. A tiny model of
/// each family learns the synthetic "the code is X" task, and the result round-trips through SaveCheckpoint (HF layout) and
/// Model.Save/Load.
/// </summary>
[TestClass]
public sealed class EncoderQuestionAnsweringTests
{
    private static EncoderFixture roberta = null!, distilbert = null!;

    [ClassInitialize]
    public static void Create(TestContext _)
    {
        roberta = EncoderFineTuningTests.WithTokenizerVocabulary("roberta");
        distilbert = EncoderFineTuningTests.WithTokenizerVocabulary("distilbert");
    }

    [ClassCleanup]
    public static void Remove() { roberta.Dispose(); distilbert.Dispose(); }

    private static readonly (string Question, string Context)[] Examples =
    [
        ("Which team won Super Bowl 50?",
         "The American Football Conference (AFC) champion Denver Broncos defeated the National Football Conference (NFC) champion Carolina Panthers 24–10 " +
         "to earn their third Super Bowl title. The game was played on February 7, 2016."),
        ("Where did the Normans settle?", "The Normans (Norman: Nourmands; French: Normands) gave their name to Normandy, a region in France."),
        ("What is the café called?", "  Le  Café   crème, naïve!  東京は 1,5 km — ünïcode 😀 and   extra spaces."),
    ];

    [TestMethod]
    [DataRow("roberta", 32, 8, 3, false)]
    [DataRow("roberta", 38, 12, 4, true)]
    [DataRow("distilbert", 32, 8, 3, false)]
    [DataRow("distilbert", 40, 12, 4, true)]
    public void MaxEpochsZero_GivesHuggingFacePipelineAnswersAndScores(string family, int maxLength, int stride, int topK, bool allowNoAnswer)
    {
        var f = family == "roberta" ? roberta : distilbert;
        var dir = EncoderFineTuningTests.Folder(f, "QuestionAnswering");
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Examples.Select(e => new QuestionAnsweringEstimatorTests.QaInput { Question = e.Question, Context = e.Context }));
        using var model = ml.MulticlassClassification.Trainers.QuestionAnswer(new QuestionAnsweringOptions
        {
            CheckpointDirectory = dir, MaxEpochs = 0, TopK = topK, AllowNoAnswer = allowNoAnswer, MaxSequenceLength = maxLength, DocumentStride = stride, BatchSize = 3,
        }).Fit(data);
        var scored = model.Transform(data);
        var answers = scored.GetColumn<string[]>("Answer").ToArray();
        var scores = scored.GetColumn<float[]>("Score").ToArray();
        var tokenizer = EncoderCheckpoint.LoadTokenizer(dir);
        for (int row = 0; row < Examples.Length; row++)
        {
            var reference = Pipeline(f, tokenizer, Examples[row].Question, Examples[row].Context, maxLength, stride, topK, maxAnswerLength: 15, allowNoAnswer);
            string where = $"{family} row {row}: expected [{string.Join(" | ", reference.Select(r => $"{r.Text} {r.Score:G6}"))}], got [{string.Join(" | ", answers[row].Zip(scores[row]).Select(p => $"{p.First} {p.Second:G6}"))}]";
            CollectionAssert.AreEqual(reference.Select(r => r.Text).ToArray(), answers[row], where);
            for (int k = 0; k < reference.Count; k++)
                Assert.AreEqual(reference[k].Score, scores[row][k], 1e-5 + 1e-4 * reference[k].Score, where);
        }
    }

    [TestMethod]
    public void RobertaWindows_AreQuestionFirstPairs_WithOffsetsIntoTheOriginalContext()
    {
        var dir = EncoderFineTuningTests.Folder(roberta, "QuestionAnswering");
        var tokenizer = EncoderCheckpoint.LoadTokenizer(dir);
        var vocabulary = RobertaVocabulary.Build();
        const string context = "  Le  Café crème, naïve!";
        var example = new QaEncoder(tokenizer, maxSequenceLength: 12, documentStride: 2, maxQuestionLength: 64).Encode("Hello world", context);
        // 12 − 2 question tokens − 4 special tokens = 6 context tokens per window.
        Assert.AreEqual(6, example.Geometry.Window);
        var w = example.Windows[0];
        int[] expectedStart = [vocabulary["<s>"], vocabulary["Hello"], vocabulary["Ġworld"], vocabulary["</s>"], vocabulary["</s>"]];
        CollectionAssert.AreEqual(expectedStart, w.InputIds[..5]);
        Assert.AreEqual(vocabulary["</s>"], w.InputIds[^1]);
        Assert.AreEqual(5, w.ContextStart);
        Assert.IsTrue(w.TokenTypeIds.All(t => t == 0), "RoBERTa's type ids are all 0");
        Assert.IsTrue(example.Windows.Count > 1, "the context spans several windows");
        // Context tokens map back to the original text (byte-level pieces, trimmed of their leading space).
        var words = example.ContextTokens.Offsets.Select(o => context[o.Start..o.End]).Where(s => s.Length > 0).ToArray();
        CollectionAssert.IsSubsetOf(new[] { "Le", ",", "!" }, words);
        Assert.AreEqual("Café", context[example.ContextTokens.Offsets.First(o => context[o.Start..].StartsWith("Caf", StringComparison.Ordinal)).Start..][..4]);
    }

    [TestMethod]
    [DataRow("roberta")]
    [DataRow("distilbert")]
    public void AnsweringWithoutATrainedSpanHead_IsAnErrorNamingIt(string family)
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Examples.Select(e => new QuestionAnsweringEstimatorTests.QaInput { Question = e.Question, Context = e.Context }));
        var e = Assert.Throws<InvalidOperationException>(() => ml.MulticlassClassification.Trainers.QuestionAnswer(new QuestionAnsweringOptions
        {
            CheckpointDirectory = EncoderFineTuningTests.Folder(family == "roberta" ? roberta : distilbert, "Pretrained"), MaxEpochs = 0,
        }).Fit(data));
        StringAssert.Contains(e.Message, "qa_outputs");
    }

    private static readonly string[] Words = ["red", "blue", "green", "apple", "river", "stone", "cloud", "tiger", "piano", "lemon",
        "north", "south", "paper", "glass", "horse", "candle", "silver", "garden", "window", "forest"];

    [TestMethod]
    [DataRow("roberta")]
    [DataRow("distilbert")]
    public void TinyModel_LearnsTheSyntheticTask_ThenSaveCheckpointAndModelSaveLoadKeepAnswers(string family)
    {
        using var threads = new SingleThreadedTorch();
        var dir = EncoderFineTuningTests.Folder(family == "roberta" ? roberta : distilbert, "Pretrained");   // encoder only: qa_outputs starts fresh
        // "… the code is X …": the answer is the word after "the code is", anywhere in a context of random words (as QaLearningTests).
        var random = new Random(3);
        QuestionAnsweringEstimatorTests.QaRow Make()
        {
            var before = Enumerable.Range(0, random.Next(0, 6)).Select(_ => Words[random.Next(Words.Length)]);
            var after = Enumerable.Range(0, random.Next(0, 6)).Select(_ => Words[random.Next(Words.Length)]);
            string answer = Words[random.Next(Words.Length)];
            string prefix = string.Join(" ", before.Append("and then the code is"));
            return new() { Context = $"{prefix} {answer} . {string.Join(" ", after)}".Trim(), Question = "what is the code ?", TrainingAnswer = answer, AnswerIndex = prefix.Length + 1 };
        }
        var train = Enumerable.Range(0, 192).Select(_ => Make()).ToArray();
        var test = Enumerable.Range(0, 48).Select(_ => Make()).ToArray();
        var ml = new MLContext(seed: 1);
        var estimator = ml.MulticlassClassification.Trainers.QuestionAnswer(new QuestionAnsweringOptions
        {
            CheckpointDirectory = dir, MaxEpochs = 6, BatchSize = 32, TopK = 1,
            Training = new TrainerOptions { LearningRate = 5e-3, WarmupFraction = 0.05 },
        });
        using var model = estimator.Fit(ml.Data.LoadFromEnumerable(train));
        var testData = ml.Data.LoadFromEnumerable(test);
        var metrics = ml.MulticlassClassification.EvaluateQuestionAnswering(model.Transform(testData), "TrainingAnswer");
        var losses = estimator.LastTrainingResult!.LossHistory;
        Assert.IsTrue(losses[^1] < losses[0] / 2, $"{family}: loss {losses[0]:F3} → {losses[^1]:F3}");
        Assert.IsTrue(metrics.ExactMatch >= 60, $"{family}: held-out {metrics}");

        var answers = model.Transform(testData).GetColumn<string[]>("Answer").ToArray();
        var scores = model.Transform(testData).GetColumn<float[]>("Score").ToArray();
        using var saved = new TempDirectory();
        model.SaveCheckpoint(saved.Path);
        string architecture = family == "roberta" ? "RobertaForQuestionAnswering" : "DistilBertForQuestionAnswering";
        StringAssert.Contains(File.ReadAllText(saved.File("config.json")), architecture);
        var keys = MLNet.Transformers.Checkpoints.CheckpointLoader.LoadStateDict(saved.Path).Keys.ToHashSet();
        Assert.IsTrue(keys.Contains("qa_outputs.weight") && keys.Contains($"{family}.embeddings.word_embeddings.weight"), $"{architecture} keys");
        Assert.IsFalse(keys.Any(k => k.Contains("pooler", StringComparison.Ordinal)), $"HF's {architecture} has no pooler");
        Assert.IsTrue(File.Exists(saved.File(family == "roberta" ? "merges.txt" : "vocab.txt")));
        using (var reloaded = ml.MulticlassClassification.Trainers.QuestionAnswer(saved.Path, maxEpochs: 0, topK: 1).Fit(testData))
        {
            var again = reloaded.Transform(testData);
            CollectionAssert.AreEqual(answers.Select(a => a[0]).ToArray(), again.GetColumn<string[]>("Answer").Select(a => a[0]).ToArray(), "after SaveCheckpoint");
            var againScores = again.GetColumn<float[]>("Score").ToArray();
            for (int i = 0; i < scores.Length; i++) Assert.AreEqual(scores[i][0], againScores[i][0], 1e-5f, $"row {i} after SaveCheckpoint");
        }
        ml.Model.Save(model, testData.Schema, saved.File("model.zip"));
        var loaded = ml.Model.Load(saved.File("model.zip"), out _);
        var loadedScores = loaded.Transform(testData).GetColumn<float[]>("Score").ToArray();
        for (int i = 0; i < scores.Length; i++) CollectionAssert.AreEqual(scores[i], loadedScores[i], $"row {i} after Model.Load");
        (loaded as IDisposable)?.Dispose();
    }

    // ---- transformers' QuestionAnsweringPipeline (fast tokenizer, question first) for each family, written out ----
    private static List<(string Text, double Score)> Pipeline(EncoderFixture f, IEncoderTokenizer tokenizer, string question, string context,
        int maxSeqLen, int docStride, int topK, int maxAnswerLength, bool handleImpossible)
    {
        bool isRoberta = f.ModelType == "roberta";
        var q = tokenizer.Tokenize(question);
        var c = tokenizer.Encode(context, maxLength: 100_000);   // <s>/[CLS] context </s>/[SEP]: ids, offsets and word starts of the context
        int n = c.Length - 2;
        int[] ids = c.InputIds[1..(n + 1)];
        var offsets = c.Offsets[1..(n + 1)];
        var wordIds = new int[n];
        for (int i = 0, w = -1; i < n; i++) { if (c.IsWordStart[i + 1] || i == 0) w++; wordIds[i] = w; }
        long cls = c.InputIds[0], sep = c.InputIds[n + 1];

        int specials = isRoberta ? 4 : 3;   // num_special_tokens_to_add(pair=True)
        int window = maxSeqLen - q.Length - specials;
        Assert.IsTrue(docStride < window, "the reference follows tokenizers only where they accept the stride");
        var parts = new List<int>();
        for (int s = 0; ; s += window - docStride) { parts.Add(s); if (s + window >= n) break; }

        double minNull = 1_000_000;
        var answers = new List<(string Text, double Score)>();
        foreach (int part in parts)
        {
            int len = Math.Min(window, n - part);
            // RoBERTa: <s> q </s></s> c </s>; BERT/DistilBERT: [CLS] q [SEP] c [SEP]
            var middle = isRoberta ? new[] { sep, sep } : new[] { sep };
            var input = new[] { cls }.Concat(q.Select(x => (long)x)).Concat(middle).Concat(ids.Skip(part).Take(len).Select(x => (long)x)).Append(sep).ToArray();
            int T = input.Length, contextStart = 1 + q.Length + middle.Length;
            double[] start, end;
            using (NewDisposeScope())
            {
                var x = tensor(input).reshape(1, T);
                var hidden = isRoberta ? Roberta(f.W, x, ones_like(x)).Hidden : DistilBert(f.W, x, ones_like(x));
                var logits = TokenLogits(f.W, "qa_outputs", hidden)[0];   // (T, 2)
                start = logits[.., 0].data<double>().ToArray();
                end = logits[.., 1].data<double>().ToArray();
            }
            var allowed = Enumerable.Range(0, T).Select(i => i == 0 || (i >= contextStart && i < contextStart + len)).ToArray();
            start = Normalize(start.Select((v, i) => allowed[i] ? v : -10000.0).ToArray());
            end = Normalize(end.Select((v, i) => allowed[i] ? v : -10000.0).ToArray());
            if (handleImpossible) minNull = Math.Min(minNull, start[0] * end[0]);
            start[0] = end[0] = 0;
            var flat = new List<(int S, int E, double Score)>();
            for (int i = 0; i < T; i++)
                for (int j = 0; j < T; j++)
                    flat.Add((i, j, j >= i && j - i <= maxAnswerLength - 1 ? start[i] * end[j] : 0));
            foreach (var (s, e, score) in flat.OrderByDescending(x => x.Score).Take(topK * 2 + 10))
            {
                if (!allowed[s] || !allowed[e] || score <= 0) continue;
                int first = s - contextStart + part, last = e - contextStart + part;
                while (first > part && wordIds[first - 1] == wordIds[first]) first--;
                while (last < part + len - 1 && wordIds[last + 1] == wordIds[last]) last++;
                string text = context[offsets[first].Start..offsets[last].End];
                int at = answers.FindIndex(a => a.Text == text);
                if (at < 0) answers.Add((text, score));
                else if (score > answers[at].Score) answers[at] = (text, score);
            }
        }
        if (handleImpossible) answers.Add(("", minNull));
        return answers.OrderByDescending(a => a.Score).Take(topK).ToList();
    }

    private static double[] Normalize(double[] x)
    {
        double max = x.Max();
        var e = x.Select(v => Math.Exp(v - max)).ToArray();
        double sum = e.Sum();
        return e.Select(v => v / sum).ToArray();
    }
}
