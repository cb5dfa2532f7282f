using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transformers.Inference;
using MLNet.Transformers.Models.Bert;
using MLNet.Transformers.Tokenization;
using MLNet.Transformers.Transforms;
using static TorchSharp.torch;

namespace MLNet.Transformers.Benchmarks;

/// <summary>
/// Inference paths side by side, in one run (the machine is shared: compare ratios, not absolute rates):
///   dotnet run -c Release --project bench/MLNet.Transformers.Benchmarks -- inference [quick] [rounds] [sst2 sentences] [fixed|sst2|latency|classifier]... [classifier=PATH]
/// quick = 1 round, 128 SST-2 sentences, fewer rows at T = 128, a small fine-tuning budget; naming parts runs only those
/// (default: all four). classifier=PATH scores a fine-tuned classifier (HF folder with its head, or an ML.NET model zip)
/// instead of fine-tuning one (see <see cref="ClassifierAgreement"/>).
/// ONNX Runtime fp32 and int8 on our export of the same weights, our transform fp32 and bf16; BERT-base shape, random
/// weights. (1) every row 128 tokens, batch 1/8/32; (2) SST-2 dev text, batch 32, with and without length bucketing;
/// (3) batch-1 latency on SST-2 sentences, including the libtorch-free serving pipeline's PredictionEngine.
/// GFLOP/s count the encoder's matmuls (<see cref="Flops"/>) and are compared with fp32/bf16 matmul peaks measured here.
/// (4) A classifier fine-tuned on SST-2: agreement of bf16 and ONNX int8 with fp32 predictions on the full dev set.
/// The run starts with the host's ISA line and what <see cref="Precision.Auto"/> (the default path) resolves to there, and
/// ends by writing the summary as JSON (<see cref="BenchReport"/>); parts (1) and (2) also time <see cref="Precision.Int8"/>
/// (our transform running its int8 graph in ONNX Runtime in-process; part 1 only) and Auto as it runs on a host without
/// fast bf16 (our transform running its fp32 graph in ONNX Runtime in-process, forced here with
/// <c>MLNET_TRANSFORMERS_PRECISION=onnx-fp32</c> semantics so it is measured on every host).
/// Ratios are given as the median and min–max over rounds of the per-round ratio; the summary at the end collects them.
/// </summary>
internal static class InferenceBenchmark
{
    private const int MaxLength = 128, BatchSize = 32;

    public static void Run(string[] args)
    {
        bool quick = args.Contains("quick");
        string[] partNames = ["fixed", "sst2", "latency", "classifier"];
        var parts = args.Where(partNames.Contains).ToHashSet();
        if (parts.Count == 0) parts = partNames.ToHashSet();
        string? classifierPath = args.FirstOrDefault(a => a.StartsWith("classifier=", StringComparison.Ordinal))?["classifier=".Length..];
        var numbers = args.Where(a => a != "quick" && !partNames.Contains(a) && !a.StartsWith("classifier=", StringComparison.Ordinal)).Select(int.Parse).ToArray();
        var summary = new List<string>();
        int rounds = numbers.Length > 0 ? numbers[0] : quick ? 1 : 3;
        var data = Path.Combine(AppContext.BaseDirectory, "data");
        var dev = File.ReadLines(Path.Combine(data, "sst2-dev.tsv")).Skip(1).Select(l => l.Split('\t'))
            .Select(p => (Text: p[0].Trim(), Label: p[1].Trim() == "1")).ToArray();
        int sstCount = Math.Min(dev.Length, numbers.Length > 1 ? numbers[1] : quick ? 128 : dev.Length);
        int threads = get_num_threads();
        Console.WriteLine($"inference benchmark: threads {threads}, rounds {rounds}, parts {string.Join(",", parts)}, SST-2 dev sentences {sstCount}, {(quick ? "quick" : "full")} mode");
        Console.WriteLine("The machine is shared with other jobs: absolute rates are noisy; the ratios are measured side by side.");
        if (parts.SetEquals(["classifier"]))   // needs no BERT-base model
        {
            var agreement = ClassifierAgreement.Run(new MLContext(seed: 1), data, dev, classifierPath, quick, rounds, threads).ToList();
            PrintSummary(agreement, rounds);
            BenchReport.WriteJson("inference-classifier", agreement, rounds);
            return;
        }

        var config = BertConfig.Base();
        string checkpoint = BertBaseCheckpoint(config, data);
        var tokenizer = BertWordPieceTokenizer.FromDirectory(checkpoint);
        var ml = new MLContext(seed: 1);
        var empty = ml.Data.LoadFromEnumerable(new[] { new Row() });
        TransformerEmbeddingTransformer Ours(Precision precision, bool bucketing) => ml.Transforms.Text.TransformerEmbedding(checkpoint,
            new TransformerEmbeddingSettings("E", "Text", null, EmbeddingPooling.Mean, MaxLength, BatchSize, Precision: precision, LengthBucketing: bucketing)).Fit(empty);
        using var fp32 = Ours(Precision.Float32, false);
        using var fp32Bucketed = Ours(Precision.Float32, true);
        using var bf16 = Ours(Precision.BFloat16, false);
        using var bf16Bucketed = Ours(Precision.BFloat16, true);
        using var int8 = Ours(Precision.Int8, false);
        // Auto on a host without fast bf16: the fp32 graph in ONNX Runtime inside our transform, whatever this host is.
        TransformerEmbeddingTransformer OursAutoWithoutBf16(bool bucketing)
        {
            using var forced = HostPrecision.Simulate(HostPrecision.Host, "onnx-fp32");
            var transformer = Ours(Precision.Auto, bucketing);
            if (transformer.OnnxEngine is not { IsInt8: false }) throw new InvalidOperationException("Auto with onnx-fp32 did not pick the ONNX Runtime fp32 engine.");
            return transformer;
        }
        using var autoOrt = OursAutoWithoutBf16(false);
        using var autoOrtBucketed = OursAutoWithoutBf16(true);
        var auto = HostPrecision.Resolve(Precision.Auto);   // the default path on this host
        bool autoIsOrt = auto == Precision.Float32 && HostPrecision.AutoRunsOnnxRuntime;
        string autoName = autoIsOrt ? "Float32 via ONNX Runtime" : $"libtorch {auto}";
        string onnxFp32 = Path.Combine(checkpoint, "encoder.onnx"), onnxInt8 = Path.Combine(checkpoint, "encoder-int8.onnx");
        fp32.ExportOnnx(onnxFp32);
        fp32.ExportOnnx(onnxInt8, quantizeInt8: true);
        using var ortFp32 = new OnnxEncoder(onnxFp32, tokenizer, MaxLength, threads);
        // The same file in a second session, timed last in each round: how far the last place alone moves a ratio (our
        // in-process ONNX Runtime engine is timed last, right after it).
        using var ortFp32Again = new OnnxEncoder(onnxFp32, tokenizer, MaxLength, threads);
        using var ortInt8 = new OnnxEncoder(onnxInt8, tokenizer, MaxLength, threads);
        PrintSizes(checkpoint, onnxFp32, onnxInt8);

        double peakFp32 = MatmulPeak.Measure(ScalarType.Float32, BatchSize * MaxLength, config.HiddenSize, config.IntermediateSize);
        double peakBf16 = MatmulPeak.Measure(ScalarType.BFloat16, BatchSize * MaxLength, config.HiddenSize, config.IntermediateSize);
        Console.WriteLine($"matmul peaks ({BatchSize * MaxLength}×{config.HiddenSize}·{config.HiddenSize}×{config.IntermediateSize}): fp32 {peakFp32:F0} GFLOP/s, bf16 {peakBf16:F0} GFLOP/s");

        // (1) Every row exactly 128 tokens: SST-2 sentences joined until truncated.
        var longTexts = Enumerable.Range(0, 64).Select(i => string.Join(" ", Enumerable.Range(0, 8).Select(j => dev[(i * 8 + j) % dev.Length].Text))).ToArray();
        double perSentence = Flops.BertForwardPerSequence(config, MaxLength);
        foreach (int batch in parts.Contains("fixed") ? [1, 8, 32] : Array.Empty<int>())
        {
            var texts = longTexts.Take(quick ? Math.Max(batch, 2) : Math.Max(2 * batch, 8)).ToArray();
            Contender Batched(string name, Func<IReadOnlyList<string>, float[][]> embed) => new(name, t => Contenders.InBatches(t, batch, embed));
            var results = Contenders.Measure([
                Batched("ONNX Runtime fp32", ortFp32.Embed), Batched("ONNX Runtime int8", ortInt8.Embed),
                Batched("ours fp32", t => fp32.Embed(t)), Batched("ours bf16", t => bf16.Embed(t)), Batched("ours int8 (ORT in-process)", t => int8.Embed(t)),
                Batched("ours Auto w/o bf16 (ORT fp32)", t => autoOrt.Embed(t)), Batched("ONNX Runtime fp32 again (order check)", ortFp32Again.Embed)], texts, rounds);
            Print($"T = {MaxLength}, batch {batch}, {texts.Length} sentences", results, texts.Length, texts.Length * perSentence, peakFp32, peakBf16, latency: batch == 1);
            summary.Add(Ratio($"T={MaxLength} batch {batch}: ours bf16 ÷ ORT fp32", results[3], results[0]));
            summary.Add(Ratio($"T={MaxLength} batch {batch}: ORT int8 ÷ ORT fp32", results[1], results[0]));
            summary.Add(Ratio($"T={MaxLength} batch {batch}: ours default (Auto = {autoName}) ÷ ORT fp32", results[autoIsOrt ? 5 : auto == Precision.BFloat16 ? 3 : 2], results[0]));
            summary.Add(Ratio($"T={MaxLength} batch {batch}: ours int8 ÷ ORT fp32", results[4], results[0]));
            summary.Add(Ratio($"T={MaxLength} batch {batch}: ours Auto on a host without fast bf16 (ORT fp32 in-process) ÷ ORT fp32", results[5], results[0]));
            summary.Add(Ratio($"T={MaxLength} batch {batch}: ORT fp32 in a second session, timed last ÷ ORT fp32 (order check)", results[6], results[0]));
        }

        // (2) Real text: SST-2 dev, batch 32, padded to each batch's longest row; with and without bucketing.
        var sst = dev.Take(sstCount).ToArray();
        var sstTexts = sst.Select(s => s.Text).ToArray();
        if (parts.Contains("sst2"))
        {
            var lengths = tokenizer.EncodeBatch(sstTexts, null, MaxLength).Encodings.Select(e => e.Length).ToArray();
            Console.WriteLine($"\nSST-2 dev: {sstCount} sentences, mean {lengths.Average():F1} tokens, max {lengths.Max()}");
            Contender Transform(string name, TransformerEmbeddingTransformer transformer) => new(name, texts =>
                transformer.Transform(ml.Data.LoadFromEnumerable(texts.Select(t => new Row { Text = t })))
                    .GetColumn<VBuffer<float>>("E").Select(v => v.DenseValues().ToArray()).ToArray());
            Contender Onnx(string name, OnnxEncoder e, bool bucketing) => new(name, t => bucketing
                ? Contenders.Bucketed(t, lengths, BatchSize, BatchedTransformerWindow, e.Embed) : Contenders.InBatches(t, BatchSize, e.Embed));
            var real = Contenders.Measure([
                Onnx("ONNX Runtime fp32", ortFp32, false), Onnx("ONNX Runtime fp32, bucketed", ortFp32, true),
                Onnx("ONNX Runtime int8", ortInt8, false), Onnx("ONNX Runtime int8, bucketed", ortInt8, true),
                Transform("ours fp32", fp32), Transform("ours fp32, bucketed", fp32Bucketed),
                Transform("ours bf16", bf16), Transform("ours bf16, bucketed", bf16Bucketed),
                Transform("ours Auto w/o bf16 (ORT fp32)", autoOrt), Transform("ours Auto w/o bf16, bucketed", autoOrtBucketed)], sstTexts, rounds);
            Print($"SST-2 dev, batch {BatchSize}", real, sstCount, lengths.Sum(l => Flops.BertForwardPerSequence(config, l)), peakFp32, peakBf16, latency: false);
            for (int i = 0; i < real.Length; i += 2)
            {
                var line = Ratio($"SST-2 dev bucketing speedup, {real[i].Contender.Name}", real[i + 1], real[i]);
                Console.WriteLine(line);
                summary.Add(line);
            }
            summary.Add(Ratio("SST-2 dev: ours bf16 bucketed ÷ ORT fp32 bucketed", real[7], real[1]));
            summary.Add(Ratio($"SST-2 dev: ours default (Auto = {autoName}) bucketed ÷ ORT fp32 bucketed", real[autoIsOrt ? 9 : auto == Precision.BFloat16 ? 7 : 5], real[1]));
            summary.Add(Ratio("SST-2 dev: ours Auto on a host without fast bf16 (ORT fp32 in-process) bucketed ÷ ORT fp32 bucketed", real[9], real[1]));
            summary.Add(Ratio("SST-2 dev: ORT int8 bucketed ÷ ORT fp32 bucketed", real[3], real[1]));
            PrintAccuracy(real, sst.Select(s => s.Label).ToArray());
        }

        // (3) Batch-1 latency on real sentences.
        if (parts.Contains("latency"))
            summary.AddRange(Latency.Run(ml, sstTexts.Take(quick ? 8 : 48).ToArray(), fp32, bf16, ortFp32, ortInt8, onnxFp32, onnxInt8, checkpoint, rounds));

        // (4) A fine-tuned classifier: prediction agreement on the whole SST-2 dev set.
        if (parts.Contains("classifier"))
            summary.AddRange(ClassifierAgreement.Run(ml, data, dev, classifierPath, quick, rounds, threads));

        PrintSummary(summary, rounds);
        BenchReport.WriteJson("inference", summary, rounds);
    }

    private static void PrintSummary(List<string> summary, int rounds)
    {
        Console.WriteLine($"\nsummary ({rounds} round(s); median, min–max of the per-round ratio; > 1 = faster than the reference):");
        foreach (var line in summary) Console.WriteLine("  " + line);
    }

    internal static string Ratio(string what, Measurement contender, Measurement reference)
    {
        var (median, min, max) = contender.SpeedupOver(reference);
        return $"{what}: {median:F2}× ({min:F2}–{max:F2})";
    }

    // A BERT-base-shaped checkpoint with random weights (seed 0), in HF layout, with the real bert-base-uncased vocabulary.
    private static string BertBaseCheckpoint(BertConfig config, string data)
    {
        manual_seed(0);
        var checkpoint = Path.Combine(Path.GetTempPath(), "mlnet-transformers-bench-inference-bert-base");
        using (var init = new BertModel(config))
        {
            BertInitializer.Initialize(init, config);
            BertCheckpoint.Save(init, config, checkpoint, "BertModel");
        }
        File.Copy(Path.Combine(data, "vocab.txt"), Path.Combine(checkpoint, "vocab.txt"), overwrite: true);
        return checkpoint;
    }

    private static int BatchedTransformerWindow => MLNet.Transformers.Transforms.Infrastructure.BatchedTransformerBase.BucketWindowBatches;

    private static void Print(string title, Measurement[] results, int sentences, double flops, double peakFp32, double peakBf16, bool latency)
    {
        Console.WriteLine($"\n{title}  (useful GFLOP/s count no padding)");
        Console.WriteLine($"  {"",-30} {"sent/s",9} {"spread",15} {"÷ ORT fp32",10} {"(rounds)",11} {"GFLOP/s",8} {"% fp32 pk",9} {"% bf16 pk",9} {"peak MB+",9}{(latency ? "  latency ms" : "")}");
        foreach (var r in results)
        {
            double gflops = flops / r.Seconds / 1e9;
            var (ratio, min, max) = r.SpeedupOver(results[0]);
            Console.WriteLine($"  {r.Contender.Name,-30} {sentences / r.Seconds,9:F2} {$"{sentences / r.Max:F2}-{sentences / r.Min:F2}",15} {ratio,10:F2} {$"{min:F2}-{max:F2}",11} {gflops,8:F0} {gflops / peakFp32,9:P0} {gflops / peakBf16,9:P0} {r.PeakMegabytes,9:F0}"
                + (latency ? $"  {r.Seconds / sentences * 1000,10:F1}" : ""));
        }
    }

    private static void PrintAccuracy(Measurement[] real, bool[] labels)
    {
        var reference = real.First(r => r.Contender.Name == "ours fp32").Outputs;
        var agreement = Probe.TrainOnFp32(reference, labels);
        Console.WriteLine("\naccuracy vs ours fp32 on SST-2 dev (mean-pooled sentence vectors; probe = logistic regression trained on fp32 vectors):");
        foreach (var r in real)
        {
            var (relative, maxAbs) = Contenders.Error(r.Outputs, reference);
            Console.WriteLine($"  {r.Contender.Name,-30} rel err {relative:E2}  max abs {maxAbs:E2}  probe agreement {agreement(r.Outputs):P2}");
        }
    }

    private static void PrintSizes(string checkpoint, string onnxFp32, string onnxInt8)
    {
        using var scope = NewDisposeScope();
        using var model = BertCheckpoint.LoadEncoder(checkpoint, withPooler: false);
        long Bytes() => model.parameters().Sum(p => p.numel() * p.element_size());
        long f32 = Bytes();
        ScoringPrecision.Apply(model, Precision.BFloat16);
        double Mb(long b) => b / 1048576.0;
        Console.WriteLine($"weights: ours fp32 {Mb(f32):F0} MB, ours bf16 {Mb(Bytes()):F0} MB, ONNX fp32 {Mb(new FileInfo(onnxFp32).Length):F0} MB, ONNX int8 {Mb(new FileInfo(onnxInt8).Length):F0} MB");
    }

    internal sealed class Row { public string Text { get; set; } = ""; }
}
