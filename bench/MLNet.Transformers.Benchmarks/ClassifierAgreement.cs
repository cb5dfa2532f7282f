using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MLNet.Transformers.Estimators;
using MLNet.Transformers.Tokenization;
using MLNet.Transformers.Training;
using MLNet.Transformers.Transforms;

namespace MLNet.Transformers.Benchmarks;

/// <summary>
/// Part (4) of the inference benchmark: a classifier fine-tuned from the shipped checkpoint examples/data/bert-tiny-pretrained
/// on SST-2 training rows (8,000 rows, 2 epochs, lr 1e-3, T ≤ 64, batch 32 — the budget of examples/TextClassification;
/// quick: 1,000 rows, 1 epoch), or loaded from <c>classifier=PATH</c>, scored on the full SST-2 dev set (872 sentences)
/// four ways from the same weights: our transformer fp32 and bf16 (IDataView scoring, bucketed), ONNX Runtime fp32 and
/// int8 on our export (batches of 32, bucketed alike), plus ours fp32 without bucketing. Prints accuracy of each, agreement of its predicted class with ours
/// fp32, the largest probability difference, and throughput side by side.
/// </summary>
internal static class ClassifierAgreement
{
    private const int MaxLength = 64, BatchSize = 32;

    private sealed class Review { [LoadColumn(0)] public string Sentence { get; set; } = ""; [LoadColumn(1)] public string Label { get; set; } = ""; }

    public static IEnumerable<string> Run(MLContext ml, string data, (string Text, bool Label)[] dev, string? modelPath, bool quick, int rounds, int threads)
    {
        string checkpoint = modelPath is null ? FineTune(ml, data, quick) : AsCheckpointFolder(ml, modelPath);
        var empty = ml.Data.LoadFromEnumerable(new[] { new InferenceBenchmark.Row() });
        SequenceClassificationTransformer Load(Precision precision) => ml.MulticlassClassification.Trainers.TextClassification(new TextClassificationOptions
        {
            CheckpointDirectory = checkpoint, Sentence1ColumnName = "Text", MaxEpochs = 0, BatchSize = BatchSize, MaxSequenceLength = MaxLength, Precision = precision,
        }).Fit(empty);
        using var fp32 = Load(Precision.Float32);
        using var bf16 = Load(Precision.BFloat16);
        string onnxFp32 = Path.Combine(checkpoint, "classifier.onnx"), onnxInt8 = Path.Combine(checkpoint, "classifier-int8.onnx");
        fp32.ExportOnnx(onnxFp32);
        fp32.ExportOnnx(onnxInt8, quantizeInt8: true);
        var tokenizer = BertWordPieceTokenizer.FromDirectory(checkpoint);
        using var ortFp32 = Session(onnxFp32, threads);
        using var ortInt8 = Session(onnxInt8, threads);

        var texts = dev.Select(d => d.Text).ToArray();
        var lengths = tokenizer.EncodeBatch(texts, null, MaxLength).Encodings.Select(e => e.Length).ToArray();
        Contender Ours(string name, SequenceClassificationTransformer t) => new(name, rows =>
            t.Transform(ml.Data.LoadFromEnumerable(rows.Select(r => new InferenceBenchmark.Row { Text = r })))
                .GetColumn<VBuffer<float>>("Score").Select(v => v.DenseValues().ToArray()).ToArray());
        Contender Onnx(string name, InferenceSession session) => new(name, rows => rows.Count == texts.Length
            ? Contenders.Bucketed(rows, lengths, BatchSize, Transforms.Infrastructure.BatchedTransformerBase.BucketWindowBatches, b => Score(session, tokenizer, b))
            : Contenders.InBatches(rows, BatchSize, b => Score(session, tokenizer, b)));
        var results = Contenders.Measure([Onnx("ONNX Runtime fp32", ortFp32), Onnx("ONNX Runtime int8", ortInt8),
            Ours("ours fp32", fp32), Ours("ours bf16", bf16),
            new("ours fp32, not bucketed", rows => Contenders.InBatches(rows, BatchSize, b => fp32.Score(b.ToArray())))], texts, rounds);

        var reference = results[2].Outputs.Select(ArgMax).ToArray();
        var gold = dev.Select(d => d.Label ? 1 : 0).ToArray();
        Console.WriteLine($"\nfine-tuned SST-2 classifier ({checkpoint}), full dev set: {texts.Length} sentences, batch {BatchSize}, bucketed, T ≤ {MaxLength}");
        Console.WriteLine($"  {"",-22} {"accuracy",9} {"agrees w/ fp32",15} {"max |Δp|",9} {"sent/s",9} {"÷ ORT fp32",10} {"(rounds)",11}");
        var lines = new List<string>();
        foreach (var r in results)
        {
            var predicted = r.Outputs.Select(ArgMax).ToArray();
            double accuracy = predicted.Zip(gold).Count(p => p.First == p.Second) / (double)gold.Length;
            double agreement = predicted.Zip(reference).Count(p => p.First == p.Second) / (double)gold.Length;
            double maxDelta = r.Outputs.Zip(results[2].Outputs).Max(p => p.First.Zip(p.Second).Max(q => Math.Abs(q.First - q.Second)));
            var (ratio, min, max) = r.SpeedupOver(results[0]);
            Console.WriteLine($"  {r.Contender.Name,-22} {accuracy,9:P2} {agreement,15:P2} {maxDelta,9:E2} {texts.Length / r.Seconds,9:F1} {ratio,10:F2} {$"{min:F2}-{max:F2}",11}");
            lines.Add($"fine-tuned SST-2 classifier, {r.Contender.Name}: dev accuracy {accuracy:P2}, agreement with ours fp32 {agreement:P2} ({predicted.Zip(reference).Count(p => p.First != p.Second)} of {gold.Length} differ), max |Δp| {maxDelta:E2}");
        }
        Console.WriteLine($"  ONNX model sizes: fp32 {new FileInfo(onnxFp32).Length / 1048576.0:F1} MB, int8 {new FileInfo(onnxInt8).Length / 1048576.0:F1} MB (BERT-Tiny: mostly the 8,000 × 128 word embeddings, which stay fp32)");
        return lines;
    }

    // Fine-tunes the shipped BERT-Tiny on SST-2 training rows and saves it (HF layout with its head) for the other paths.
    private static string FineTune(MLContext ml, string data, bool quick)
    {
        int rows = quick ? 1000 : 8000, epochs = quick ? 1 : 2;
        var train = ml.Data.TakeRows(ml.Data.ShuffleRows(ml.Data.LoadFromTextFile<Review>(Path.Combine(data, "sst2-train.tsv"), hasHeader: true, allowQuoting: false), seed: 1), rows);
        // ByValue: key 1 = "0" (negative), key 2 = "1" (positive), so class index = SST-2 label.
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: Microsoft.ML.Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByValue)
            .Append(ml.MulticlassClassification.Trainers.TextClassification(new TextClassificationOptions
            {
                CheckpointDirectory = Path.Combine(data, "bert-tiny-pretrained"), Sentence1ColumnName = "Sentence", MaxEpochs = epochs,
                BatchSize = BatchSize, MaxSequenceLength = MaxLength, Training = new TrainerOptions { LearningRate = 1e-3, Seed = 1 },
            }));
        var started = DateTime.UtcNow;
        var model = pipeline.Fit(train);
        Console.WriteLine($"\nfine-tuned BERT-Tiny on {rows} SST-2 training rows, {epochs} epoch(s), in {(DateTime.UtcNow - started).TotalSeconds:F0} s");
        var folder = Path.Combine(Path.GetTempPath(), "mlnet-transformers-bench-sst2-classifier");
        using var classifier = (SequenceClassificationTransformer)model.LastTransformer;
        classifier.SaveCheckpoint(folder);
        ml.Model.Save(model, train.Schema, folder + ".zip");   // for a later run: classifier=<folder>.zip (or the folder)
        Console.WriteLine($"saved the fine-tuned pipeline to {folder}.zip");
        return folder;
    }

    // classifier=PATH: a checkpoint folder with its head, or an ML.NET model zip whose last transformer is the classifier.
    private static string AsCheckpointFolder(MLContext ml, string path)
    {
        if (Directory.Exists(path)) return path;
        var loaded = ml.Model.Load(path, out _);
        var classifier = (loaded as TransformerChain<ITransformer>)?.LastTransformer as SequenceClassificationTransformer ?? loaded as SequenceClassificationTransformer
            ?? throw new ArgumentException($"'{path}' holds no SequenceClassificationTransformer (as the last transformer of its chain).");
        var folder = Path.Combine(Path.GetTempPath(), "mlnet-transformers-bench-sst2-classifier-loaded");
        classifier.SaveCheckpoint(folder);
        return folder;
    }

    private static InferenceSession Session(string path, int threads) => new(path, new SessionOptions
    {
        IntraOpNumThreads = threads, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
    });

    // One ONNX Runtime call per batch, padded to the batch's longest row: the class probabilities ("score").
    private static float[][] Score(InferenceSession session, BertWordPieceTokenizer tokenizer, IReadOnlyList<string> texts)
    {
        var batch = tokenizer.EncodeBatch(texts, null, MaxLength);
        int[] shape = [batch.BatchSize, batch.SequenceLength];
        var inputs = new[]
        {
            NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(batch.InputIds, shape)),
            NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(batch.AttentionMask, shape)),
            NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(batch.TokenTypeIds, shape)),
        };
        using var results = session.Run(inputs, ["score"]);
        var flat = results[0].AsTensor<float>().ToArray();
        int n = flat.Length / texts.Count;
        return Enumerable.Range(0, texts.Count).Select(i => flat.AsSpan(i * n, n).ToArray()).ToArray();
    }

    private static int ArgMax(float[] v) => Array.IndexOf(v, v.Max());
}
