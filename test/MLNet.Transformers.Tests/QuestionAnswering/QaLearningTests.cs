using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transformers.Estimators;
using MLNet.Transformers.Models.Bert;
using MLNet.Transformers.Tests.Checkpoints;
using MLNet.Transformers.Tokenization;
using MLNet.Transformers.Training;

namespace MLNet.Transformers.Tests.QuestionAnswering;

/// <summary>A tiny randomly initialised BERT learns to point at answers within seconds of training.</summary>
[TestClass]
public sealed class QaLearningTests
{
    private static readonly string[] Words = ["red", "blue", "green", "apple", "river", "stone", "cloud", "tiger", "piano", "lemon",
        "north", "south", "paper", "glass", "horse", "candle", "silver", "garden", "window", "forest"];

    [TestMethod]
    public void TinyModel_TrainedBriefly_AnswersHeldOutQuestions()
    {
        using var dir = new TempDirectory();
        var vocabulary = new[] { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ".", "?", "the", "code", "is", "what", "and", "then" }.Concat(Words).ToArray();
        var config = new BertConfig { VocabSize = vocabulary.Length, HiddenSize = 32, NumHiddenLayers = 2, NumAttentionHeads = 4, IntermediateSize = 64, MaxPositionEmbeddings = 64 };
        TorchSharp.torch.manual_seed(7);
        using (var fresh = new BertForQuestionAnswering(config))
        {
            BertInitializer.Initialize(fresh, config);
            BertCheckpoint.Save(fresh, config, dir.Path, "BertForQuestionAnswering");
        }
        var tokenizer = BertWordPieceTokenizer.FromVocabulary(vocabulary);
        tokenizer.SaveVocabulary(dir.File("vocab.txt"));
        tokenizer.SaveConfig(dir.File("tokenizer_config.json"));

        // "… the code is X …": the answer is the word after "the code is", anywhere in a context of random words.
        var random = new Random(3);
        QuestionAnsweringEstimatorTests.QaRow Make()
        {
            var before = Enumerable.Range(0, random.Next(0, 7)).Select(_ => Words[random.Next(Words.Length)]);
            var after = Enumerable.Range(0, random.Next(0, 7)).Select(_ => Words[random.Next(Words.Length)]);
            string answer = Words[random.Next(Words.Length)];
            string prefix = string.Join(" ", before.Append("and then the code is"));
            return new() { Context = $"{prefix} {answer} . {string.Join(" ", after)}".Trim(), Question = "what is the code ?", TrainingAnswer = answer, AnswerIndex = prefix.Length + 1 };
        }
        var train = Enumerable.Range(0, 256).Select(_ => Make()).ToArray();
        var test = Enumerable.Range(0, 60).Select(_ => Make()).ToArray();

        var mlContext = new MLContext(seed: 1);
        var estimator = mlContext.MulticlassClassification.Trainers.QuestionAnswer(new QuestionAnsweringOptions
        {
            CheckpointDirectory = dir.Path, MaxEpochs = 8, BatchSize = 32, TopK = 1,
            Training = new TrainerOptions { LearningRate = 5e-3, WarmupFraction = 0.05 },
        });
        using var model = estimator.Fit(mlContext.Data.LoadFromEnumerable(train));
        var metrics = mlContext.MulticlassClassification.EvaluateQuestionAnswering(model.Transform(mlContext.Data.LoadFromEnumerable(test)), "TrainingAnswer");

        var losses = estimator.LastTrainingResult!.LossHistory;
        Assert.IsTrue(losses[^1] < losses[0] / 2, $"loss {losses[0]:F3} → {losses[^1]:F3}");
        // Guessing one of the context's words would score EM ≈ 100 / (context words) ≈ 15%.
        Assert.IsTrue(metrics.ExactMatch >= 60, $"held-out {metrics}");
    }
}
