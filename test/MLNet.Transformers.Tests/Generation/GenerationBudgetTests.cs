using MLNet.Transformers.Generation;

namespace MLNet.Transformers.Tests.Generation;

/// <summary>
/// The memory estimate before generation counts the first step's attention scores (heads × prompt length² per row), not only
/// the cache and the logits: a long prompt × NumBeams whose scores would not fit is refused naming the option.
/// </summary>
[TestClass]
public sealed class GenerationBudgetTests
{
    [TestMethod]
    public void LongPromptTimesBeams_WhoseAttentionScoresWouldNotFit_IsRefusedNamingNumBeams()
    {
        using var model = TextGeneratorTests.TinyModel("rotary");                  // no position limit; 4 heads, vocabulary 60
        const int promptLength = 16_384;
        double scoresPerRow = 2.0 * 4 * promptLength * (double)promptLength * sizeof(float);   // scores and softmax: ~8.6 GB
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        int beams = (int)(available / scoresPerRow) + 2;                             // scores ~2 rows beyond memory; cache ~16 MB a row
        var options = new TextGenerationOptions { NumBeams = beams, MaxNewTokens = 1 };

        // The estimate alone (TextGenerator.Generate calls it first): were it to let this through, the test must not allocate it.
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => GenerationBudget.RequireFits(model, 1, promptLength, 1, options));
        Assert.AreEqual("NumBeams", e.ParamName);
        StringAssert.Contains(e.Message, $"attention scores of a {promptLength}-position step");

        // The same beams over a short prompt fit: the refusal above is the prompt's attention, not the cache or the logits.
        var shortPrompt = new[] { new[] { 1, 2, 3 } };
        var generated = TextGenerator.Generate(model, shortPrompt, options, eosTokenId: null, padTokenId: 0, hitsStopString: null, rowSeeds: null);
        Assert.AreEqual(1, generated[0].Length);
    }
}
