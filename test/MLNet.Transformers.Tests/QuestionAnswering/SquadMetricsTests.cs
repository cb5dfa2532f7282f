using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transformers.Tests.Checkpoints;

namespace MLNet.Transformers.Tests.QuestionAnswering;

/// <summary>SQuAD exact match / F1 as the official evaluation script computes them, and the SQuAD JSON loader.</summary>
[TestClass]
public sealed class SquadMetricsTests
{
    [TestMethod]
    public void Normalize_LowersStripsPunctuationArticlesAndSpaces()
    {
        Assert.AreEqual("quick brown fox", SquadScoring.Normalize("The  Quick, brown fox!"));
        Assert.AreEqual("apple day", SquadScoring.Normalize("An apple a day."));
        Assert.AreEqual("theater anthem", SquadScoring.Normalize("theater (anthem)"), "articles only as whole words");
        Assert.AreEqual("café 1999", SquadScoring.Normalize("  Café,\t1999 "));
        Assert.AreEqual("", SquadScoring.Normalize("the"));
    }

    [TestMethod]
    public void ExactMatchAndF1_FollowTheOfficialScript()
    {
        Assert.AreEqual(1.0, SquadScoring.ExactMatch("the Eiffel Tower", "Eiffel Tower."));
        Assert.AreEqual(0.0, SquadScoring.ExactMatch("Eiffel Tower in Paris", "Eiffel Tower"));
        Assert.AreEqual(2.0 / 3, SquadScoring.F1("Eiffel Tower in Paris", "the Eiffel Tower"), 1e-12);   // p 2/4, r 2/2
        Assert.AreEqual(2.0 / 3, SquadScoring.F1("x y y", "y y z"), 1e-12);                             // counts, not sets
        Assert.AreEqual(0.4, SquadScoring.F1("y y y", "y z"), 1e-12);                                   // p 1/3, r 1/2
        Assert.AreEqual(0.0, SquadScoring.F1("Paris", "London"));
        Assert.AreEqual(1.0, SquadScoring.F1("", ""), "SQuAD 2.0: empty matches empty");
        Assert.AreEqual(0.0, SquadScoring.F1("", "France"));
        Assert.AreEqual(0.0, SquadScoring.F1("France", ""));
    }

    [TestMethod]
    public void Metrics_MaxOverGoldsAndHasAnswerNoAnswerBreakdown()
    {
        var metrics = QuestionAnsweringMetrics.Compute(
        [
            ("The 10th century.", ["10th and 11th centuries", "the 10th century", "10th"]),     // EM 1 through the second gold
            ("Denmark, Iceland and Norway", ["Denmark", "Iceland and Norway"]),               // EM 0, F1 6/7 through the second gold
            ("", []),                                                                          // unanswerable, answered ""
            ("Rollo", []),                                                                     // unanswerable, answered
            ("", ["the", "France"]),                                                           // "the" is not a gold: scored against France
        ]);
        double f1Second = Math.Max(SquadScoring.F1("Denmark, Iceland and Norway", "Denmark"), SquadScoring.F1("Denmark, Iceland and Norway", "Iceland and Norway"));
        Assert.AreEqual(6.0 / 7, f1Second, 1e-12);   // "denmark iceland and norway" vs "iceland and norway": p 3/4, r 1
        Assert.AreEqual(5, metrics.Count);
        Assert.AreEqual(3, metrics.HasAnswerCount);
        Assert.AreEqual(2, metrics.NoAnswerCount);
        Assert.AreEqual(100.0 / 3, metrics.HasAnswerExactMatch, 1e-9);
        Assert.AreEqual(100 * (1 + 6.0 / 7 + 0) / 3, metrics.HasAnswerF1, 1e-9);
        Assert.AreEqual(50.0, metrics.NoAnswerExactMatch, 1e-9);
        Assert.AreEqual(50.0, metrics.NoAnswerF1, 1e-9);
        Assert.AreEqual(100.0 * 2 / 5, metrics.ExactMatch, 1e-9);
        Assert.AreEqual(100 * (1 + 6.0 / 7 + 1 + 0 + 0) / 5, metrics.F1, 1e-9);
        Assert.IsTrue(double.IsNaN(QuestionAnsweringMetrics.Compute([("a", ["b"])]).NoAnswerExactMatch));
    }

    private const string SquadJson = """
    {"version": "v2.0", "data": [
      {"title": "Normans", "paragraphs": [
        {"context": "The Normans gave their name to Normandy, a region in France.",
         "qas": [
           {"id": "q1", "question": "Where is Normandy?", "answers": [{"text": "France", "answer_start": 53}, {"text": "in France", "answer_start": 50}], "is_impossible": false},
           {"id": "q2", "question": "Who founded Rome?", "answers": [], "plausible_answers": [{"text": "Normans", "answer_start": 4}], "is_impossible": true},
           {"id": "q3", "answers": [{"text": "Normans", "answer_start": 4}]},
           {"id": "q4", "question": "Who?", "answers": [{"text": "Normans", "answer_start": 0}]},
           {"id": "q5", "question": "What region?", "answers": [{"text": "Normandy", "answer_start": 3}, {"text": "Normandy", "answer_start": 31}]},
           {"id": "q6", "question": "Bad answers?", "answers": "France"}
         ]},
        {"context": "No questions here."}
      ]}
    ]}
    """;

    [TestMethod]
    public void Loader_ReadsV2AndCountsMalformedEntries()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("squad.json"), SquadJson);
        var data = SquadDataset.Load(new MLContext(1), dir.File("squad.json"), out var report);

        Assert.AreEqual("v2.0", report.Version);
        Assert.AreEqual(3, report.Questions);
        Assert.AreEqual(1, report.Unanswerable);
        Assert.AreEqual(3, report.SkippedQuestions, string.Join("\n", report.Problems));   // q3 no question, q4 misplaced only, q6 answers not an array
        Assert.AreEqual(2, report.MisplacedAnswers);                                       // q4's and q5's first
        Assert.IsTrue(report.Problems.Any(p => p.Contains("paragraphs[1]") && p.Contains("qas")), "the paragraph without qas is reported");
        Assert.IsTrue(report.Problems.Any(p => p.Contains("qas[2]") && p.Contains("question")));

        var ids = data.GetColumn<string>("Id").ToArray();
        CollectionAssert.AreEqual(new[] { "q1", "q2", "q5" }, ids);
        CollectionAssert.AreEqual(new[] { "France", "", "Normandy" }, data.GetColumn<string>("TrainingAnswer").ToArray());
        CollectionAssert.AreEqual(new[] { 53, -1, 31 }, data.GetColumn<int>("AnswerIndex").ToArray());
        var golds = data.GetColumn<string[]>("GoldAnswers").ToArray();
        CollectionAssert.AreEqual(new[] { "France", "in France" }, golds[0]);
        Assert.IsEmpty(golds[1]);
        Assert.AreEqual("The Normans gave their name to Normandy, a region in France.", data.GetColumn<string>("Context").First());
    }

    [TestMethod]
    public void Loader_RejectsANonSquadFileWithItsName()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("x.json"), "{\"rows\": []}");
        var e = Assert.ThrowsExactly<ArgumentException>(() => SquadDataset.Read(dir.File("x.json"), out _));
        StringAssert.Contains(e.Message, "x.json");
    }
}
