using MLNet.Transformers.FreshProcess;
using MLNet.Transformers.Tests.Models;
using MLNet.Transformers.Tests.Persistence;

namespace MLNet.Transformers.Tests.Reliability;

/// <summary>
/// Issue 10, items 1 and 8, run in a child process: the concurrency stress (a native crash there must not kill the test host)
/// and determinism across processes (seeds were derived from HashCode.Combine, which .NET randomises per process).
/// </summary>
[TestClass]
public sealed class CrossProcessTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void EightThreads_EnginesCreatedAndDisposedWhileOthersPredict_NoCrashAndIdenticalResults()
    {
        string[] output = FreshProcessRunner.Run("--concurrency", BertParityTests.FixtureDirectory);
        foreach (string line in output) TestContext.WriteLine(line);
        CollectionAssert.Contains(output, "OK");
        CollectionAssert.Contains(output, "disposed under load: 28 of 28 threads stopped with ObjectDisposedException naming the transformer");
    }

    [TestMethod]
    public void MaskedLanguageModelTraining_GivesTheSameLossesInAnotherProcess()
    {
        string wikiText = Path.Combine(AppContext.BaseDirectory, "TestData", "wikitext-2", "valid.txt");
        string[] here = ReliabilityProbes.MaskedLanguageModelLosses(wikiText).ToArray();
        string[] there = FreshProcessRunner.Run("--mlm-losses", wikiText);
        TestContext.WriteLine($"{here.Length} steps; first losses here {string.Join(", ", here.Take(3))}, there {string.Join(", ", there.Take(3))}");
        Assert.IsTrue(here.Length >= 4, "the run should take several steps over two epochs");
        CollectionAssert.AreEqual(here, there, "the same seed must give the same batches, masks and losses in every process");
    }
}
