using MLNet.Transformers.Tests.Checkpoints;
using MLNet.Transformers.Tests.Models;

namespace MLNet.Transformers.Tests.Persistence;

/// <summary>
/// The library at each end of the Microsoft.ML range it declares (Directory.Packages.props' MicrosoftMLRange): applications
/// built against Microsoft.ML 5.0.1 (test/MLNet.Transformers.Consumer.MLNet5) and 6.0.0 with ML.NET's own
/// Microsoft.ML.TorchSharp 0.24.0 beside it (test/MLNet.Transformers.Consumer.MLNet6) cross-validate, fit, save, load and
/// predict with a tiny BERT; the 6.0.0 one also checks which TextClassification each call binds to.
/// </summary>
[TestClass]
public sealed class PackageConsumerTests
{
    [TestMethod]
    public void FloorOfTheRange_MLNet501_CrossValidatesSavesLoadsAndPredicts()
    {
        var lines = Run("MLNet.Transformers.Consumer.MLNet5");
        AssertChecksRan(lines, "5.0.1");
    }

    [TestMethod]
    public void NewestOfTheRange_MLNet600_BesideMLNetTorchSharp_BindsEachTextClassificationAndRoundTrips()
    {
        var lines = Run("MLNet.Transformers.Consumer.MLNet6");
        AssertChecksRan(lines, "6.0.0");
        Assert.Contains("theirs: Microsoft.ML.TorchSharp.NasBert.TextClassificationTrainer (Microsoft.ML.TorchSharp), outputs Text, Label, PredictedLabel, Score", lines);
        Assert.Contains("ours: MLNet.Transformers.Estimators.SequenceClassificationEstimator (MLNet.Transformers)", lines);
        Assert.Contains("TorchSharp 0.107.0, Microsoft.ML.Tokenizers 3.0.0", lines);
    }

    private static void AssertChecksRan(string[] lines, string mlnetVersion)
    {
        Assert.Contains($"Microsoft.ML {mlnetVersion}", lines);
        Assert.Contains("CrossValidate: 2 folds", lines);
        Assert.Contains("Save/Load: same scores", lines);
        Assert.Contains("PredictionEngine: same scores", lines);
    }

    // The consumer projects are built beside this one, each with its own Microsoft.ML; they are not copied here.
    private static string[] Run(string project)
    {
        using var work = new TempDirectory();
        return FreshProcessRunner.RunDll(FreshProcessRunner.BesideThisProject(project), [BertParityTests.FixtureDirectory, work.Path],
            new Dictionary<string, string> { ["OMP_NUM_THREADS"] = "1" });
    }
}
