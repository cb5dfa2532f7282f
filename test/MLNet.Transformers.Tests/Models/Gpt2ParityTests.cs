using MLNet.Transformers.Generation;
using MLNet.Transformers.Models.Gpt2;
using MLNet.Transformers.Tokenization;
using MLNet.Transformers.Transforms;
using static TorchSharp.torch;

namespace MLNet.Transformers.Tests.Models;

/// <summary>GPT-2 against HF's math on TestData/gpt2-tiny-random: logits, log-likelihoods and greedy tokens, to 1e-4.</summary>
[TestClass]
public sealed class Gpt2ParityTests
{
    private const double Tolerance = 1e-4;

    [TestMethod]
    public void Fixture_LogitsOfPaddedBatchMatchHuggingFace()
    {
        var expected = Gpt2Fixture.Load();
        using var model = Gpt2Checkpoint.Load(Gpt2Fixture.Directory);
        model.eval();
        using var scope = NewDisposeScope();
        var logits = model.forward(expected.InputIdsTensor(), expected.AttentionMaskTensor());
        for (int row = 0; row < expected.LogitPositions.Length; row++)
            for (int j = 0; j < expected.LogitPositions[row].Length; j++)
                Gpt2Fixture.AssertClose(expected.Logits[row][j], logits[row, expected.LogitPositions[row][j]], Tolerance, $"row {row} position {expected.LogitPositions[row][j]}");
    }

    [TestMethod]
    public void Fixture_TokenizerGivesTheFixtureIds()
    {
        var expected = Gpt2Fixture.Load();
        var tokenizer = Gpt2BpeTokenizer.FromDirectory(Gpt2Fixture.Directory);
        for (int row = 0; row < expected.Texts.Length; row++)
        {
            int real = (int)expected.AttentionMask[row].Sum();
            CollectionAssert.AreEqual(expected.InputIds[row].Take(real).Select(i => (int)i).ToArray(), tokenizer.Encode(expected.Texts[row]), expected.Texts[row]);
        }
    }

    [TestMethod]
    public void Fixture_LogLikelihoodsWithEndOfTextFirstMatchHuggingFace()
    {
        var expected = Gpt2Fixture.Load();
        using var model = Gpt2Checkpoint.Load(Gpt2Fixture.Directory);
        model.eval();
        var tokenizer = Gpt2BpeTokenizer.FromDirectory(Gpt2Fixture.Directory);
        var scores = new CausalLanguageModelScorer(model, tokenizer.EndOfTextId, contextSize: 64, stride: 32, batchSize: 2)
            .Score(expected.Texts.Select(tokenizer.Encode).ToArray());
        for (int i = 0; i < scores.Length; i++)
        {
            Assert.AreEqual(expected.TokenCounts[i], scores[i].TokenCount);
            Assert.AreEqual(expected.LogLikelihoods[i], scores[i].LogLikelihood, Tolerance * Math.Abs(expected.LogLikelihoods[i]), $"text {i}");
        }
    }

    [TestMethod]
    [DataRow(true)]
    [DataRow(false)]
    public void Fixture_GreedyTokensMatchHuggingFace(bool useCache)
    {
        var expected = Gpt2Fixture.Load();
        using var model = Gpt2Checkpoint.Load(Gpt2Fixture.Directory);
        model.eval();
        var options = new TextGenerationOptions { MaxNewTokens = expected.GreedyNewTokens.Length, UseCache = useCache, EosTokenId = -1 };
        var generated = TextGenerator.Generate(model, [expected.GreedyPrompt], options, eosTokenId: null, padTokenId: 50256, null, null);
        CollectionAssert.AreEqual(expected.GreedyNewTokens, generated[0]);
    }
}
