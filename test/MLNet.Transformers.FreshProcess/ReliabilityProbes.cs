using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transformers.Estimators;
using MLNet.Transformers.Models.Bert;
using MLNet.Transformers.Training.Pretraining;
using MLNet.Transformers.Transforms;

namespace MLNet.Transformers.FreshProcess;

/// <summary>
/// Probes run in a separate process by the reliability tests: the concurrency stress (a regression could crash the process
/// in native code, which must not take the test host down) and the cross-process determinism check.
/// </summary>
public static class ReliabilityProbes
{
    public sealed class TextRow { public string Text { get; set; } = ""; }
    public sealed class EmbeddingRow { [VectorType(32)] public float[] E { get; set; } = []; }   // the test fixture's hidden size

    private static readonly string[] Texts = ["the cat sat on the mat", "a gripping, funny film", "", "naïve café – 東京", "one two three four five six"];

    /// <summary>Handles "--concurrency DIR" and "--mlm-losses FILE"; false for any other command line.</summary>
    public static bool TryRun(string[] args, out int exitCode)
    {
        exitCode = args switch
        {
            ["--concurrency", var dir] => Concurrency(dir),
            ["--mlm-losses", var file] => PrintLines(MaskedLanguageModelLosses(file)),
            _ => -1,
        };
        return exitCode != -1;
    }

    private static int PrintLines(IEnumerable<string> lines)
    {
        foreach (string line in lines) Console.WriteLine(line);
        return 0;
    }

    /// <summary>Per-step training losses of a tiny masked-LM run over two epochs (round-trip format), for a fixed seed.</summary>
    public static IEnumerable<string> MaskedLanguageModelLosses(string wikiTextFile)
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(File.ReadLines(wikiTextFile).Where(l => l.Length > 0).Take(12).Select(l => new TextRow { Text = l }));
        var estimator = ml.Transforms.Text.PretrainMaskedLanguageModel(new MaskedLanguageModelOptions
        {
            ModelConfig = new BertConfig { HiddenSize = 16, NumHiddenLayers = 1, NumAttentionHeads = 2, IntermediateSize = 32, MaxPositionEmbeddings = 32 },
            VocabularySize = 300, RowFormat = CorpusRowFormat.WikiTextLines, NextSentencePrediction = false,
            MaxSequenceLength = 32, BatchSize = 8, MaxEpochs = 100, ValidationFraction = 0,
            Training = new MLNet.Transformers.Training.TrainerOptions { MaxSteps = 12, Seed = 11 },   // several epochs of a tiny corpus
        });
        using var model = estimator.Fit(data);
        return estimator.LastTrainingResult!.LossHistory.Select(l => l.ToString("R", CultureInfo.InvariantCulture)).ToList();
    }

    /// <summary>
    /// Eight threads: (1) engines that do not own a shared transformer are created and disposed while seven others predict —
    /// every prediction must be bit-identical to the reference; (2) an engine that owns the transformer disposes it while the
    /// others predict — they must end with ObjectDisposedException naming the transformer, nothing else, and no crash.
    /// </summary>
    public static int Concurrency(string checkpoint)
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new TextRow { Text = "x" } });
        var noOwnership = new PredictionEngineOptions { OwnsTransformer = false };
        int failures = 0;
        void Fail(string message) { Interlocked.Increment(ref failures); Console.WriteLine("FAIL " + message); }

        using (var shared = ml.Transforms.Text.TransformerEmbedding(checkpoint, "E", "Text").Fit(data))
        {
            float[][] reference;
            using (var engine = ml.Model.CreatePredictionEngine<TextRow, EmbeddingRow>(shared, noOwnership))
                reference = Texts.Select(t => engine.Predict(new TextRow { Text = t }).E.ToArray()).ToArray();
            long predictions = 0;
            var threads = Enumerable.Range(0, 8).Select(id => new Thread(() =>
            {
                var engine = id < 7 ? ml.Model.CreatePredictionEngine<TextRow, EmbeddingRow>(shared, noOwnership) : null;
                for (int i = 0; i < 150; i++)
                {
                    var current = engine ?? ml.Model.CreatePredictionEngine<TextRow, EmbeddingRow>(shared, noOwnership);
                    int k = (id + i) % Texts.Length;
                    try
                    {
                        if (!current.Predict(new TextRow { Text = Texts[k] }).E.SequenceEqual(reference[k])) Fail($"thread {id}: prediction {i} differs");
                        Interlocked.Increment(ref predictions);
                    }
                    catch (Exception e) { Fail($"thread {id}: {e.GetType().Name}: {e.Message}"); return; }
                    finally { if (engine is null) current.Dispose(); }
                }
                engine?.Dispose();
            })).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());
            Console.WriteLine($"shared: {predictions} predictions on 8 threads, engines created and disposed meanwhile");
        }

        int disposedErrors = 0;
        for (int round = 0; round < 4; round++)
        {
            var transformer = ml.Transforms.Text.TransformerEmbedding(checkpoint, "E", "Text").Fit(data);
            using var started = new CountdownEvent(7);
            var threads = Enumerable.Range(0, 7).Select(id => new Thread(() =>
            {
                var engine = ml.Model.CreatePredictionEngine<TextRow, EmbeddingRow>(transformer, noOwnership);
                for (int i = 0; i < 100_000; i++)
                {
                    try { engine.Predict(new TextRow { Text = Texts[(id + i) % Texts.Length] }); }
                    catch (ObjectDisposedException e) when (e.ObjectName.Contains(nameof(TransformerEmbeddingTransformer)))
                    {
                        Interlocked.Increment(ref disposedErrors);
                        return;
                    }
                    catch (Exception e) { Fail($"round {round} thread {id}: {e.GetType().Name}: {e.Message}"); return; }
                    finally { if (i == 3) started.Signal(); }
                }
                Fail($"round {round} thread {id}: never saw the transformer disposed");
            })).ToList();
            threads.ForEach(t => t.Start());
            if (!started.Wait(TimeSpan.FromSeconds(120))) Fail($"round {round}: predicting threads did not start");
            using (var owner = ml.Model.CreatePredictionEngine<TextRow, EmbeddingRow>(transformer))   // owns it: disposes it
                owner.Predict(new TextRow { Text = "the owner predicts, then disposes" });
            threads.ForEach(t => t.Join());
        }
        Console.WriteLine($"disposed under load: {disposedErrors} of 28 threads stopped with ObjectDisposedException naming the transformer");
        if (disposedErrors != 28) Fail($"expected 28 ObjectDisposedExceptions, saw {disposedErrors}");
        Console.WriteLine(failures == 0 ? "OK" : $"{failures} FAILURES");
        return failures == 0 ? 0 : 1;
    }
}
