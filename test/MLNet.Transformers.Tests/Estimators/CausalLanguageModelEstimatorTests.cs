using Microsoft.ML;
using MLNet.Transformers.Estimators;
using MLNet.Transformers.Models.Gpt2;
using MLNet.Transformers.Tests.Checkpoints;
using MLNet.Transformers.Tests.Models;
using MLNet.Transformers.Tokenization;
using MLNet.Transformers.Training;
using MLNet.Transformers.Transforms;

namespace MLNet.Transformers.Tests.Estimators;

/// <summary>PretrainCausalLanguageModel: loading (MaxEpochs = 0) with fixture parity, packing, training from scratch, learning, checkpoints.</summary>
[TestClass]
public sealed class CausalLanguageModelEstimatorTests
{
    internal sealed class TextRow { public string Text { get; set; } = ""; }
    internal sealed class ScoreRow { public string Text { get; set; } = ""; public float LogLikelihood { get; set; } public int TokenCount { get; set; } }

    private static readonly string Shakespeare = Path.Combine(AppContext.BaseDirectory, "TestData", "tinyshakespeare", "input-first-100k.txt");

    /// <summary>Speeches of tiny Shakespeare (blank-line separated), one per row.</summary>
    internal static List<string> Speeches() => File.ReadAllText(Shakespeare).Split("\n\n", StringSplitOptions.RemoveEmptyEntries).ToList();

    [TestMethod]
    public void MaxEpochsZero_LoadsTheCheckpoint_AndScoresLikeHuggingFace()
    {
        var expected = Gpt2Fixture.Load();
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(expected.Texts.Select(t => new TextRow { Text = t }));
        using var transformer = ml.Transforms.Text.PretrainCausalLanguageModel(new CausalLanguageModelOptions { CheckpointDirectory = Gpt2Fixture.Directory, MaxEpochs = 0 }).Fit(data);
        var rows = ml.Data.CreateEnumerable<ScoreRow>(transformer.Transform(data), reuseRowObject: false).ToList();
        for (int i = 0; i < rows.Count; i++)
        {
            Assert.AreEqual(expected.TokenCounts[i], rows[i].TokenCount);
            Assert.AreEqual(expected.LogLikelihoods[i], rows[i].LogLikelihood, 1e-4 * Math.Abs(expected.LogLikelihoods[i]));
        }
    }

    [TestMethod]
    public void LongText_IsScoredWithASlidingWindow_EveryTokenOnce()
    {
        using var model = Gpt2Checkpoint.Load(Gpt2Fixture.Directory);
        model.eval();
        var tokenizer = Gpt2BpeTokenizer.FromDirectory(Gpt2Fixture.Directory);
        var ids = tokenizer.Encode(string.Join(" ", Speeches().Take(30)));
        Assert.IsGreaterThan(150, ids.Length, "the text must be longer than two contexts of 64");
        var windowed = new CausalLanguageModelScorer(model, tokenizer.EndOfTextId, 64, 32, 4).Score([ids])[0];
        Assert.AreEqual(ids.Length, windowed.TokenCount);
        // Reference: the same recipe written out by hand, one window at a time (window k starts at 32k and scores what is new).
        var sequence = ids.Prepend(tokenizer.EndOfTextId).ToArray();
        double reference = 0;
        int scoredUpTo = 1;
        for (int begin = 0; scoredUpTo < sequence.Length; begin += 32)
        {
            int end = Math.Min(begin + 64, sequence.Length);
            using var scope = TorchSharp.torch.NewDisposeScope();
            var window = TorchSharp.torch.tensor(sequence[begin..end].Select(i => (long)i).ToArray()).view(1, -1);
            var logProbs = model.forward(window, TorchSharp.torch.ones_like(window)).log_softmax(-1);
            for (int target = Math.Max(scoredUpTo, begin + 1); target < end; target++)
                reference += logProbs[0, target - begin - 1, sequence[target]].item<float>();
            scoredUpTo = end;
        }
        Assert.AreEqual(reference, windowed.LogLikelihood, 1e-3);
    }

    [TestMethod]
    public void Packing_JoinsDocumentsWithEndOfText_AndLabelsAreInputsShiftedByOne()
    {
        var blocks = MLNet.Transformers.Training.CausalLanguageModel.CausalLanguageModelPacker.Pack([[1, 2, 3], [4, 5]], endOfTextId: 9, blockSize: 3);
        CollectionAssert.AreEqual(new[] { 1, 2, 3, 9 }, blocks[0]);   // inputs 1 2 3 → labels 2 3 9
        CollectionAssert.AreEqual(new[] { 9, 4, 5, 9 }, blocks[1]);   // the last label of a block is the next block's first input
        Assert.HasCount(2, blocks);
    }

    [TestMethod]
    public void FromScratch_OnTinyShakespeare_ValidationPerplexityDropsBelowTheUnigramBaseline()
    {
        var ml = new MLContext(seed: 1);
        var speeches = Speeches();
        var options = new CausalLanguageModelOptions
        {
            ModelConfig = new Gpt2Config { NLayer = 2, NEmbd = 64, NHead = 4, NPositions = 64, ResidPdrop = 0, EmbdPdrop = 0, AttnPdrop = 0 },
            VocabularySize = 400, BlockSize = 64, BatchSize = 16, MaxEpochs = 10, ValidationFraction = 0.1,
            Training = new TrainerOptions { MaxSteps = 250, LearningRate = 3e-3, WarmupFraction = 0.05, Seed = 3, EvaluateEverySteps = 250 },
        };
        var estimator = ml.Transforms.Text.PretrainCausalLanguageModel(options);
        using var transformer = estimator.Fit(ml.Data.LoadFromEnumerable(speeches.Select(s => new TextRow { Text = s })));
        double perplexity = estimator.LastValidationPerplexity!.Value;

        // Unigram baseline: every token predicted by its training frequency (the best a model without context can do).
        var tokens = speeches.SelectMany(s => transformer.Tokenizer.Encode(s).Append(transformer.Tokenizer.EndOfTextId)).ToList();
        double entropy = -tokens.GroupBy(t => t).Sum(g => (double)g.Count() / tokens.Count * Math.Log((double)g.Count() / tokens.Count));
        double unigram = Math.Exp(entropy);
        Console.WriteLine($"validation perplexity {perplexity:F1} vs unigram {unigram:F1}; first loss {estimator.LastTrainingResult!.LossHistory[0]:F3}, last {estimator.LastTrainingResult.LossHistory[^1]:F3}");
        Assert.IsLessThan(0.7 * unigram, perplexity, $"perplexity {perplexity:F1} should be clearly below the unigram baseline {unigram:F1}");
    }

    [TestMethod]
    public void FromScratch_SavesAGpt2CheckpointThatGenerateTextLoads()
    {
        var ml = new MLContext(seed: 1);
        var options = new CausalLanguageModelOptions
        {
            ModelConfig = new Gpt2Config { NLayer = 1, NEmbd = 32, NHead = 2, NPositions = 32, PositionEmbeddingType = "rotary", NumKeyValueHeads = 1 },
            VocabularySize = 300, BlockSize = 32, BatchSize = 8, MaxEpochs = 1, ValidationFraction = 0,
            Training = new TrainerOptions { MaxSteps = 5, Seed = 1 },
        };
        using var transformer = ml.Transforms.Text.PretrainCausalLanguageModel(options).Fit(ml.Data.LoadFromEnumerable(Speeches().Take(40).Select(s => new TextRow { Text = s })));
        using var dir = new TempDirectory();
        transformer.SaveCheckpoint(dir.Path);
        foreach (var file in new[] { "config.json", "model.safetensors", "vocab.json", "merges.txt", "tokenizer_config.json" })
            Assert.IsTrue(File.Exists(dir.File(file)), file);
        StringAssert.Contains(File.ReadAllText(dir.File("config.json")), "GPT2LMHeadModel");
        var prompt = ml.Data.LoadFromEnumerable(new[] { new TextRow { Text = "First Citizen:" } });
        using var generator = ml.Transforms.Text.GenerateText(dir.Path, "Generated", "Text", new TextGenerationOptions { MaxNewTokens = 5, EosTokenId = -1 }).Fit(prompt);
        var text = ml.Data.CreateEnumerable<GeneratedRow>(generator.Transform(prompt), false).Single().Generated;
        Assert.IsFalse(string.IsNullOrEmpty(text));
        Assert.AreEqual(transformer.Score(["First Citizen:"])[0].LogLikelihood,
            ml.Transforms.Text.PretrainCausalLanguageModel(new CausalLanguageModelOptions { CheckpointDirectory = dir.Path, MaxEpochs = 0 }).Fit(prompt).Score(["First Citizen:"])[0].LogLikelihood, 1e-5);
    }

    [TestMethod]
    public void BadOptions_AreClearErrors()
    {
        var ml = new MLContext(seed: 1);
        Assert.ThrowsExactly<ArgumentException>(() => ml.Transforms.Text.PretrainCausalLanguageModel(new CausalLanguageModelOptions { MaxEpochs = 0 }));
        Assert.ThrowsExactly<ArgumentException>(() => ml.Transforms.Text.PretrainCausalLanguageModel(new CausalLanguageModelOptions { CheckpointDirectory = "/no/such/dir" }));
        var data = ml.Data.LoadFromEnumerable(new[] { new ScoreRow() });
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.Text.PretrainCausalLanguageModel(
            new CausalLanguageModelOptions { CheckpointDirectory = Gpt2Fixture.Directory, MaxEpochs = 0, TextColumnName = "Prose" }).Fit(data));
        StringAssert.Contains(e.Message, "Prose");
    }

    internal sealed class GeneratedRow { public string Text { get; set; } = ""; public string Generated { get; set; } = ""; }
}
