using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transformers.Checkpoints;
using MLNet.Transformers.Estimators;
using MLNet.Transformers.Tests.Checkpoints;
using MLNet.Transformers.Tests.Models;
using MLNet.Transformers.Tests.Persistence;
using MLNet.Transformers.Transforms;

namespace MLNet.Transformers.Tests.QuestionAnswering;

/// <summary>The QuestionAnswer trainer and its transformer in ML.NET pipelines.</summary>
[TestClass]
public sealed class QuestionAnsweringEstimatorTests
{
    private static QaFixture fixture = null!;

    [ClassInitialize]
    public static void Create(TestContext _) => fixture = new QaFixture();

    [ClassCleanup]
    public static void Delete() => fixture.Dispose();

    public sealed class QaRow
    {
        public string Context { get; set; } = "";
        public string Question { get; set; } = "";
        public string TrainingAnswer { get; set; } = "";
        public int AnswerIndex { get; set; }
    }

    public sealed class QaInput
    {
        public string Context { get; set; } = "";
        public string Question { get; set; } = "";
    }

    public sealed class QaOutput
    {
        public string[] Answer { get; set; } = [];
        public float[] Score { get; set; } = [];
    }

    internal static readonly QaRow[] Rows =
    [
        Row("The Normans gave their name to Normandy, a region in France.", "Where is Normandy?", "France"),
        Row("Rollo, a Viking leader, signed a treaty with King Charles III in 911.", "When was the treaty signed?", "911"),
        Row("The cathedral, built in the 12th century, stands near the river.", "When was the cathedral built?", "12th century"),
        Row("Marie Curie won the Nobel Prize in Physics in 1903 and in Chemistry in 1911.", "Who won the Nobel Prize?", "Marie Curie"),
    ];

    private static QaRow Row(string context, string question, string answer) =>
        new() { Context = context, Question = question, TrainingAnswer = answer, AnswerIndex = context.IndexOf(answer, StringComparison.Ordinal) };

    [TestMethod]
    public void Pipeline_ShapedLikeMLNetsQuestionAnswerTest_AddsAnswerAndScore()
    {
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(Rows);
        var estimator = mlContext.MulticlassClassification.Trainers.QuestionAnswer(fixture.Path, maxEpochs: 1);
        using var model = estimator.Fit(data);
        var scored = model.Transform(data);

        Assert.AreEqual(6, scored.Schema.Count);
        Assert.AreEqual(new VectorDataViewType(TextDataViewType.Instance), scored.Schema["Answer"].Type);
        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single), scored.Schema["Score"].Type);
        var answers = scored.GetColumn<string[]>("Answer").ToArray();
        var scores = scored.GetColumn<float[]>("Score").ToArray();
        for (int i = 0; i < Rows.Length; i++)
        {
            Assert.HasCount(3, answers[i]);
            Assert.HasCount(3, scores[i]);
            Assert.AreEqual(3, answers[i].Distinct().Count(), "distinct texts");
            Assert.IsTrue(answers[i].All(a => a.Length > 0 && Rows[i].Context.Contains(a, StringComparison.Ordinal)), "exact substrings");
            Assert.IsTrue(scores[i].Zip(scores[i].Skip(1)).All(p => p.First >= p.Second) && scores[i].All(s => s is > 0 and <= 1), "probabilities, best first");
        }
        Assert.IsNotNull(estimator.LastTrainingResult);
        Assert.AreEqual(1, estimator.LastTrainingResult.StepsRun);   // 4 one-window rows, batch size 4
    }

    [TestMethod]
    public void MaxEpochsZero_NeedsNoTrainingColumns_AndAddsAnswerStartWhenAsked()
    {
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(Rows.Select(r => new QaInput { Context = r.Context, Question = r.Question }));
        var estimator = mlContext.MulticlassClassification.Trainers.QuestionAnswer(new QuestionAnsweringOptions
        {
            CheckpointDirectory = fixture.Path, MaxEpochs = 0, AnswerStartColumnName = "AnswerStart", TopK = 2,
        });
        using var model = estimator.Fit(data);
        Assert.IsNull(estimator.LastTrainingResult);
        var scored = model.Transform(data);
        var answers = scored.GetColumn<string[]>("Answer").ToArray();
        var starts = scored.GetColumn<int[]>("AnswerStart").ToArray();
        for (int i = 0; i < Rows.Length; i++)
            for (int k = 0; k < answers[i].Length; k++)
                Assert.AreEqual(answers[i][k], Rows[i].Context.Substring(starts[i][k], answers[i][k].Length));
        Assert.AreEqual(64, model.Settings.MaxSequenceLength, "min(384, max_position_embeddings)");
        Assert.AreEqual(32, model.Settings.DocumentStride, "min(128, MaxSequenceLength / 2)");
    }

    [TestMethod]
    public void MaxEpochsZero_OnACheckpointWithoutQaHead_IsAClearError()
    {
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(Rows);
        var e = Assert.ThrowsExactly<InvalidOperationException>(() =>
            mlContext.MulticlassClassification.Trainers.QuestionAnswer(BertParityTests.FixtureDirectory, maxEpochs: 0).Fit(data));
        StringAssert.Contains(e.Message, "qa_outputs");
    }

    [TestMethod]
    public void Training_WithAnAnswerNotAtItsIndex_FailsNamingTheRow_OrSkipsWhenAsked()
    {
        var mlContext = new MLContext(seed: 1);
        var rows = Rows.Select(r => new QaRow { Context = r.Context, Question = r.Question, TrainingAnswer = r.TrainingAnswer, AnswerIndex = r.AnswerIndex }).ToArray();
        rows[2].AnswerIndex += 1;
        var data = mlContext.Data.LoadFromEnumerable(rows);
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => mlContext.MulticlassClassification.Trainers.QuestionAnswer(fixture.Path, maxEpochs: 1).Fit(data));
        StringAssert.Contains(e.Message, "Row 2");
        StringAssert.Contains(e.Message, "12th century");

        var skipping = mlContext.MulticlassClassification.Trainers.QuestionAnswer(new QuestionAnsweringOptions { CheckpointDirectory = fixture.Path, MaxEpochs = 1, SkipMisalignedAnswers = true });
        using var model = skipping.Fit(data);
        Assert.AreEqual(1, skipping.LastSkippedRows);
    }

    [TestMethod]
    public void Training_WithoutTheTrainingColumns_IsASchemaError()
    {
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(Rows.Select(r => new QaInput { Context = r.Context, Question = r.Question }));
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mlContext.MulticlassClassification.Trainers.QuestionAnswer(fixture.Path, maxEpochs: 1).Fit(data));
        StringAssert.Contains(e.Message, "TrainingAnswer");
    }

    [TestMethod]
    public void SaveLoad_TwiceInProcess_InAFreshProcess_AndPredictionEngine_GiveTheSameAnswers()
    {
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(Rows);
        using var model = mlContext.MulticlassClassification.Trainers.QuestionAnswer(fixture.Path, maxEpochs: 1).Fit(data);
        var expectedAnswers = model.Transform(data).GetColumn<string[]>("Answer").ToArray();
        var expectedScores = model.Transform(data).GetColumn<float[]>("Score").ToArray();
        using var dir = new TempDirectory();
        mlContext.Model.Save(model, data.Schema, dir.File("qa.zip"));
        for (int round = 0; round < 2; round++)
        {
            var loaded = mlContext.Model.Load(dir.File("qa.zip"), out _);
            var scored = loaded.Transform(data);
            CollectionAssert.AreEqual(expectedAnswers.SelectMany(a => a).ToArray(), scored.GetColumn<string[]>("Answer").SelectMany(a => a).ToArray());
            CollectionAssert.AreEqual(expectedScores.SelectMany(a => a).ToArray(), scored.GetColumn<float[]>("Score").SelectMany(a => a).ToArray());
            using var engine = mlContext.Model.CreatePredictionEngine<QaInput, QaOutput>(loaded);
            var one = engine.Predict(new QaInput { Context = Rows[1].Context, Question = Rows[1].Question });
            CollectionAssert.AreEqual(expectedAnswers[1], one.Answer);
            CollectionAssert.AreEqual(expectedScores[1], one.Score);
            (loaded as IDisposable)?.Dispose();
        }
    }

    [TestMethod]
    public void SaveLoad_InAFreshProcess_GivesTheSameScores()
    {
        // The probe process feeds ProbeData rows (columns Text, Text2): read them as context and question.
        var mlContext = new MLContext(seed: 1);
        var probe = FreshProcess.ProbeData.Sample(mlContext);
        using var model = mlContext.MulticlassClassification.Trainers.QuestionAnswer(new QuestionAnsweringOptions
        {
            CheckpointDirectory = fixture.Path, MaxEpochs = 0, ContextColumnName = "Text2", QuestionColumnName = "Text", TopK = 4,
        }).Fit(probe);
        using var dir = new TempDirectory();
        mlContext.Model.Save(model, probe.Schema, dir.File("qa.zip"));
        var expected = FreshProcess.ProbeData.FormatVector(model.Transform(probe), "Score").Where(l => l.Length > 0).ToArray();
        Assert.IsNotEmpty(expected);
        CollectionAssert.AreEqual(expected, FreshProcessRunner.Run(dir.File("qa.zip"), "--vector", "Score"));
    }

    [TestMethod]
    public void SaveCheckpoint_WritesBertForQuestionAnsweringLayout_ThatAnswersTheSame()
    {
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(Rows);
        using var model = mlContext.MulticlassClassification.Trainers.QuestionAnswer(fixture.Path, maxEpochs: 1).Fit(data);
        using var dir = new TempDirectory();
        model.SaveCheckpoint(dir.Path);
        StringAssert.Contains(File.ReadAllText(dir.File("config.json")), "BertForQuestionAnswering");
        var state = CheckpointLoader.LoadStateDict(dir.Path);
        Assert.IsTrue(state.ContainsKey("qa_outputs.weight") && state.ContainsKey("qa_outputs.bias"));
        Assert.IsTrue(state.ContainsKey("bert.embeddings.word_embeddings.weight"));
        Assert.IsFalse(state.Keys.Any(k => k.Contains("pooler", StringComparison.Ordinal)), "HF's BertForQuestionAnswering has no pooler");
        foreach (var t in state.Values) t.Dispose();

        using var reloaded = mlContext.MulticlassClassification.Trainers.QuestionAnswer(dir.Path, maxEpochs: 0).Fit(data);
        CollectionAssert.AreEqual(model.Transform(data).GetColumn<float[]>("Score").SelectMany(s => s).ToArray(),
            reloaded.Transform(data).GetColumn<float[]>("Score").SelectMany(s => s).ToArray());
    }

    [TestMethod]
    public void Evaluate_ScoresTheBestAnswerAgainstTheGolds()
    {
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(Rows);
        using var model = mlContext.MulticlassClassification.Trainers.QuestionAnswer(fixture.Path, maxEpochs: 0).Fit(data);
        var scored = model.Transform(data);
        var metrics = mlContext.MulticlassClassification.EvaluateQuestionAnswering(scored, goldAnswersColumnName: "TrainingAnswer");
        var best = scored.GetColumn<string[]>("Answer").Select(a => a[0]).ToArray();
        double em = 100 * best.Zip(Rows).Average(p => SquadScoring.ExactMatch(p.First, p.Second.TrainingAnswer));
        double f1 = 100 * best.Zip(Rows).Average(p => SquadScoring.F1(p.First, p.Second.TrainingAnswer));
        Assert.AreEqual(4, metrics.Count);
        Assert.AreEqual(em, metrics.ExactMatch, 1e-9);
        Assert.AreEqual(f1, metrics.F1, 1e-9);
    }
}
