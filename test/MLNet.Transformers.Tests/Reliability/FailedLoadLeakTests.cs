using System.Diagnostics;
using Microsoft.ML;
using MLNet.Transformers.Estimators;
using MLNet.Transformers.Models.Bert;
using MLNet.Transformers.Tests.Checkpoints;
using static TorchSharp.torch;

namespace MLNet.Transformers.Tests.Reliability;

/// <summary>
/// Issue 10, item 2 and the memory guard: a model whose weights fail to load must be disposed by the loader. Before, every
/// failed attempt left ~40 live tensors behind (a retrying process grew by gigabytes).
/// </summary>
[TestClass]
public sealed class FailedLoadLeakTests
{
    public TestContext TestContext { get; set; } = null!;

    private sealed class Row { public string Text { get; set; } = ""; }

    [TestMethod]
    public void ThousandFailedLoads_LeaveNoLiveTensorsAndFlatMemory()
    {
        using var tiny = new TinyBertCheckpoint();
        using var temp = new TempDirectory();
        // Failures found only after the model is allocated (the strict loader and the weight checks).
        string missingKey = tiny.Variant(temp, t => t.Where(kv => !kv.Key.EndsWith("layer.1.attention.self.key.bias")));
        string wrongShape = tiny.Variant(temp, t => t.Select(kv => kv.Key.EndsWith("layer.1.output.dense.bias") ? KeyValuePair.Create(kv.Key, zeros(5)) : kv));
        string nan = tiny.Variant(temp, t => t.Select(kv => kv.Key.EndsWith("layer.0.output.dense.bias") ? KeyValuePair.Create(kv.Key, full(new long[] { 8 }, float.NaN)) : kv));
        string integers = tiny.Variant(temp, t => t.Select(kv => kv.Key.EndsWith("word_embeddings.weight") ? KeyValuePair.Create(kv.Key, kv.Value.to(ScalarType.Int32)) : kv));
        // Failures found before allocation (vocabulary size, config against the weights' headers).
        string vocabMismatch = tiny.Variant(temp, vocabulary: string.Join("\n", TinyBertCheckpoint.Vocabulary.Append("extra")));
        string configMismatch = tiny.Variant(temp, editConfig: c => c.Replace("\"intermediate_size\": 16", "\"intermediate_size\": 10000000"));
        string[] all = [missingKey, wrongShape, nan, integers, vocabMismatch, configMismatch];

        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new Row { Text = "the cat sat" } });
        var paths = new Func<string, IDisposable>[]
        {
            dir => BertCheckpoint.LoadEncoder(dir),
            dir => BertCheckpoint.LoadForPreTraining(dir),
            dir => BertCheckpoint.LoadForSequenceClassification(dir, 2),
            dir => ml.Transforms.Text.TransformerEmbedding(dir, "E", "Text").Fit(data),
            dir => ml.Transforms.Text.PretrainMaskedLanguageModel(new MaskedLanguageModelOptions { CheckpointDirectory = dir, MaxEpochs = 0 }).Fit(data),
        };
        // BertCheckpoint alone does not read vocab.txt, so the vocabulary mismatch only fails through the estimators.
        var cases = (from dir in all from path in Enumerable.Range(0, paths.Length)
                     where dir != vocabMismatch || path >= 3
                     select (Dir: dir, Path: path)).ToList();

        // TorchSharp's own accounting leaves a few tensor objects counted after a model is built and disposed (handles moved
        // into parameters); a failed load may leave exactly what a successful load followed by Dispose leaves, no more.
        var residue = new long[paths.Length];
        for (int p = 0; p < paths.Length; p++)
        {
            paths[p](tiny.Path).Dispose();   // warm up
            long start = TorchSharp.torch.Tensor.TotalCount;
            paths[p](tiny.Path).Dispose();
            residue[p] = TorchSharp.torch.Tensor.TotalCount - start;
        }
        foreach (var (dir, path) in cases) Fails(() => paths[path](dir));   // warm up (JIT, caches)

        GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect();   // only earlier tests' garbage; none is forced below
        long tensorsBefore = TorchSharp.torch.Tensor.TotalCount;
        long rssBefore = Process.GetCurrentProcess().WorkingSet64;
        int failures = 0;
        long allowed = 0;
        for (int i = 0; i < 1000; i++)
        {
            var (dir, path) = cases[i % cases.Count];
            failures += Fails(() => paths[path](dir));
            allowed += residue[path];
        }
        long tensorsAfter = TorchSharp.torch.Tensor.TotalCount;
        long rssAfter = Process.GetCurrentProcess().WorkingSet64;
        TestContext.WriteLine($"1000 failed loads: live tensors {tensorsBefore} → {tensorsAfter} (a load + Dispose leaves [{string.Join(", ", residue)}] per path, " +
            $"{allowed} in all), RSS {rssBefore >> 20} → {rssAfter >> 20} MiB");

        Assert.AreEqual(1000, failures);
        Assert.IsTrue(tensorsAfter - tensorsBefore <= allowed,
            $"failed loads left {tensorsAfter - tensorsBefore} live tensors, more than the {allowed} that as many successful loads + Dispose leave");
        Assert.IsTrue(rssAfter - rssBefore < 64L << 20, $"RSS grew by {(rssAfter - rssBefore) >> 20} MiB over 1000 failed loads");
    }

    private static int Fails(Action load)
    {
        try { load(); }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException) { return 1; }
        Assert.Fail("the load was expected to fail");
        return 0;
    }
}
