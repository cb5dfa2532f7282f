using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transformers;
using MLNet.Transformers.Benchmarks;
using MLNet.Transformers.Models.Bert;
using MLNet.Transformers.Tokenization;
using static TorchSharp.torch;

namespace MLNet.Transformers.Benchmarks;

/// <summary>
/// Embedding throughput of the TransformerEmbedding transform vs. a bare TorchSharp loop on the same model and batches,
/// and the model's achieved GFLOP/s vs. a plain matmul measured in the same run.
///   dotnet run -c Release --project bench/MLNet.Transformers.Benchmarks -- embedding [rounds] [sentences]
/// BERT-base shape (12 layers, hidden 768, 12 heads, intermediate 3072), random weights, every row exactly 128 tokens.
/// The contenders run interleaved, round after round, and medians are reported: the machine is shared and noisy.
/// </summary>
internal static class EmbeddingBenchmark
{
    public static void Run(string[] args)
    {
        int rounds = args.Length > 0 ? int.Parse(args[0]) : 3;
        int sentences = args.Length > 1 ? int.Parse(args[1]) : 64;
        const int SequenceLength = 128, BatchSize = 32;
        var data = Path.Combine(AppContext.BaseDirectory, "data");
        Console.WriteLine($"threads: {get_num_threads()}, rounds: {rounds}, sentences per round: {sentences}, seq {SequenceLength}, batch {BatchSize}");

        // A BERT-base-shaped checkpoint with random weights, in HF layout.
        manual_seed(0);
        var config = BertConfig.Base();
        var checkpoint = Path.Combine(Path.GetTempPath(), "mlnet-transformers-bench-bert-base");
        using (var init = new BertModel(config))
        {
            BertInitializer.Initialize(init, config);
            BertCheckpoint.Save(init, config, checkpoint, "BertModel");
        }
        File.Copy(Path.Combine(data, "vocab.txt"), Path.Combine(checkpoint, "vocab.txt"), overwrite: true);

        // Texts long enough that every row is truncated to exactly 128 tokens.
        var dev = File.ReadLines(Path.Combine(data, "sst2-dev.tsv")).Skip(1).Select(l => l.Split('\t')[0]).ToArray();
        var texts = Enumerable.Range(0, sentences).Select(i => string.Join(" ", Enumerable.Range(0, 8).Select(j => dev[(i * 8 + j) % dev.Length]))).ToArray();

        // Contender 1: the ML.NET transform, lazily scored over a cursor (includes tokenization).
        var ml = new MLContext(seed: 1);
        var view = ml.Data.LoadFromEnumerable(texts.Select(t => new Row { Text = t }));
        using var transformer = ml.Transforms.Text.TransformerEmbedding(checkpoint, "E", "Text", maxSequenceLength: SequenceLength, batchSize: BatchSize).Fit(view);
        double Pipeline() => Stopwatches.Time(() =>
        {
            var scored = transformer.Transform(view);
            using var cursor = scored.GetRowCursor(scored.Schema.Where(c => c.Name == "E"));
            var getter = cursor.GetGetter<VBuffer<float>>(scored.Schema["E"]);
            VBuffer<float> value = default;
            while (cursor.MoveNext()) getter(ref value);
        });

        // Contender 2: a bare TorchSharp loop over the same pre-tokenized batches ([CLS] vectors copied out, as the transform does).
        var tokenizer = BertWordPieceTokenizer.FromDirectory(checkpoint);
        var batches = texts.Chunk(BatchSize).Select(b => tokenizer.EncodeBatch(b, null, SequenceLength)).ToArray();
        if (batches.Any(b => b.SequenceLength != SequenceLength)) throw new InvalidOperationException("texts must fill 128 tokens");
        using var bare = BertCheckpoint.LoadEncoder(checkpoint, withPooler: false);
        bare.eval();
        double Bare() => Stopwatches.Time(() =>
        {
            foreach (var b in batches)
            {
                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                var shape = new long[] { b.BatchSize, b.SequenceLength };
                var hidden = bare.forward(tensor(b.InputIds, shape), tensor(b.TokenTypeIds, shape), tensor(b.AttentionMask, shape)).LastHiddenState;
                _ = hidden.select(1, 0).contiguous().data<float>().ToArray();
            }
        });

        // Contender 3: the GEMM that dominates the model, (B·T × H) · (H × 4H), as the machine's practical peak.
        var a = randn(BatchSize * SequenceLength, config.HiddenSize);
        var w = randn(config.HiddenSize, config.IntermediateSize);
        double matmulFlops = 2.0 * a.shape[0] * a.shape[1] * w.shape[1];
        double Matmul() => Stopwatches.Time(() => { for (int i = 0; i < 10; i++) { using var r = a.matmul(w); } }) / 10;

        Pipeline(); Bare(); Matmul(); // warm-up: first-touch allocations, thread pools
        var tPipe = new List<double>(); var tBare = new List<double>(); var tMm = new List<double>();
        for (int r = 0; r < rounds; r++)
        {
            tMm.Add(Matmul()); tBare.Add(Bare()); tPipe.Add(Pipeline());
            Console.WriteLine($"round {r + 1}: transform {sentences / tPipe[^1]:F2} sent/s, bare {sentences / tBare[^1]:F2} sent/s, matmul {matmulFlops / tMm[^1] / 1e9:F0} GFLOP/s");
        }

        double pipeRate = sentences / Stopwatches.Median(tPipe), bareRate = sentences / Stopwatches.Median(tBare);
        double peak = matmulFlops / Stopwatches.Median(tMm) / 1e9;
        double perSentence = Flops.BertForwardPerSequence(config, SequenceLength);
        Console.WriteLine();
        Console.WriteLine($"transform:      {pipeRate,8:F2} sentences/s  ({pipeRate * perSentence / 1e9:F1} GFLOP/s)");
        Console.WriteLine($"bare TorchSharp:{bareRate,8:F2} sentences/s  ({bareRate * perSentence / 1e9:F1} GFLOP/s)");
        Console.WriteLine($"ratio transform / bare: {pipeRate / bareRate:F3}");
        Console.WriteLine($"plain matmul:   {peak,8:F1} GFLOP/s; model achieves {pipeRate * perSentence / 1e9 / peak:P0} of it through the transform, {bareRate * perSentence / 1e9 / peak:P0} bare");
    }

    private sealed class Row { public string Text { get; set; } = ""; }
}
