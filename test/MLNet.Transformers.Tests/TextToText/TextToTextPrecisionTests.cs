using Microsoft.ML;
using MLNet.Transformers.Estimators;
using MLNet.Transformers.Tests.FineTuning;
using MLNet.Transformers.Tests.Models.T5;

namespace MLNet.Transformers.Tests.TextToText;

/// <summary>TextToText's scoring precision (bf16 linear layers) and length bucketing on the tiny random T5.</summary>
[TestClass]
public sealed class TextToTextPrecisionTests
{
    private sealed class Pair { public string Source { get; set; } = ""; public string Target { get; set; } = ""; }
    private sealed class Output { public string Generated { get; set; } = ""; public int[] Ids { get; set; } = []; public float TargetLogLikelihood { get; set; } }

    // Sources of very different lengths, so bucketing reorders them.
    private static readonly Pair[] Pairs =
    [
        new() { Source = "translate English to German: The house is wonderful and the garden behind it is even larger than we thought.", Target = "Das Haus ist wunderbar." },
        new() { Source = "summarize: short", Target = "a longer target" },
        new() { Source = "question: what colour is the sky on a clear summer day? context: the sky is blue.", Target = "blue" },
        new() { Source = "partner: red", Target = "green" },
        new() { Source = "cola sentence: The book was read by the student who sat at the back of the room.", Target = "acceptable" },
    ];

    private static Output[] Run(MLContext ml, IDataView data, Precision precision, bool bucketing)
    {
        var options = new TextToTextOptions
        {
            MaxEpochs = 0, TargetLogLikelihoodColumnName = "TargetLogLikelihood", BatchSize = 2,
            Generation = new() { MaxNewTokens = 6, GeneratedTokenIdsColumnName = "Ids", Precision = precision, LengthBucketing = bucketing, BatchSize = 2 },
        };
        using var transformer = ml.Transforms.Text.TextToText(T5Fixture.Directory, options: options).Fit(data);
        return ml.Data.CreateEnumerable<Output>(transformer.Transform(data), false, ignoreMissingColumns: true).ToArray();
    }

    [TestMethod]
    public void Bf16_StaysCloseToFp32_AndBucketingKeepsRowOrderAndResults()
    {
        using var threads = new SingleThreadedTorch();
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Pairs);
        var plain = Run(ml, data, Precision.Float32, bucketing: false);
        var bucketed = Run(ml, data, Precision.Float32, bucketing: true);
        var bf16 = Run(ml, data, Precision.BFloat16, bucketing: true);

        for (int i = 0; i < Pairs.Length; i++)
        {
            // Bucketing only reorders rows inside the window: every row's outputs are those of the unbucketed run.
            CollectionAssert.AreEqual(plain[i].Ids, bucketed[i].Ids, $"row {i}: bucketing changed the generated ids");
            Assert.AreEqual(plain[i].TargetLogLikelihood, bucketed[i].TargetLogLikelihood, 1e-6 * Math.Abs(plain[i].TargetLogLikelihood), $"row {i}");
            // bf16 matmuls: the target's log-likelihood within 2% (the same bound order as the other bf16 transformers).
            Assert.AreEqual(plain[i].TargetLogLikelihood, bf16[i].TargetLogLikelihood, 0.02 * Math.Abs(plain[i].TargetLogLikelihood), $"row {i}: bf16 log-likelihood");
            Assert.IsNotEmpty(bf16[i].Ids, $"row {i}: bf16 generated nothing");
        }
        // ... and bf16 really ran: the scores are not the fp32 ones bit for bit.
        Assert.IsTrue(Enumerable.Range(0, Pairs.Length).Any(i => plain[i].TargetLogLikelihood != bf16[i].TargetLogLikelihood), "bf16 gave the fp32 scores exactly: it was not applied");
        // The first generated token (the largest logit gap on a random model is usually wide enough) agrees on most rows.
        int sameFirst = Enumerable.Range(0, Pairs.Length).Count(i => plain[i].Ids[0] == bf16[i].Ids[0]);
        Assert.IsGreaterThanOrEqualTo(Pairs.Length - 1, sameFirst, $"{sameFirst} of {Pairs.Length} first tokens agree");
    }

    [TestMethod]
    public void Bf16Precision_SurvivesSaveAndLoad()
    {
        using var threads = new SingleThreadedTorch();
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Pairs.Take(2));
        var options = new TextToTextOptions { MaxEpochs = 0, TargetLogLikelihoodColumnName = "TargetLogLikelihood", Generation = new() { MaxNewTokens = 4, Precision = Precision.BFloat16 } };
        using var transformer = ml.Transforms.Text.TextToText(T5Fixture.Directory, options: options).Fit(data);
        var before = ml.Data.CreateEnumerable<Output>(transformer.Transform(data), false, ignoreMissingColumns: true).ToArray();
        using var stream = new MemoryStream();
        ml.Model.Save(transformer, data.Schema, stream);
        stream.Position = 0;
        var loaded = ml.Model.Load(stream, out _);
        try
        {
            Assert.AreEqual(Precision.BFloat16, ((MLNet.Transformers.Transforms.TextToTextTransformer)loaded).Settings.Generation.Precision);
            var after = ml.Data.CreateEnumerable<Output>(loaded.Transform(data), false, ignoreMissingColumns: true).ToArray();
            for (int i = 0; i < before.Length; i++)
            {
                CollectionAssert.AreEqual(before[i].Ids, after[i].Ids);
                Assert.AreEqual(before[i].TargetLogLikelihood, after[i].TargetLogLikelihood, 1e-6 * Math.Abs(before[i].TargetLogLikelihood));
            }
        }
        finally { (loaded as IDisposable)?.Dispose(); }
    }
}
