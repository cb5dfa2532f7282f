using System.Diagnostics;
using Microsoft.ML;
using MLNet.Transformers.Estimators;
using MLNet.Transformers.Models.Bert;
using MLNet.Transformers.Tokenization;
using MLNet.Transformers.Transforms;
using static TorchSharp.torch;

namespace MLNet.Transformers.Benchmarks;

/// <summary>
/// Question answering throughput at MaxSequenceLength 384 on a BERT-base-shaped model (random weights, 110M parameters):
/// answers/s through the transformer (tokenize, window, forward, score spans, align to words) beside the bare batched
/// forward of the same windows, measured alternately in one run.
///   dotnet run -c Release --project bench/MLNet.Transformers.Benchmarks -- qa [questions] [rounds]
/// </summary>
internal static class QaBenchmark
{
    public static void Run(string[] args)
    {
        int count = args.Length > 0 ? int.Parse(args[0]) : 16;
        int rounds = args.Length > 1 ? int.Parse(args[1]) : 2;
        var rows = SquadDataset.Read(Path.Combine(AppContext.BaseDirectory, "data", "squad-v1.1-dev.json"), out _)
            .Where(q => q.Title == "Rhine").Take(count).ToList();
        string dir = Path.Combine(Path.GetTempPath(), "qa-bench-bert-base");
        var tokenizer = BertWordPieceTokenizer.FromVocabulary(Path.Combine(AppContext.BaseDirectory, "data", "vocab.txt"));
        var config = BertConfig.Base(tokenizer.VocabularySize);
        manual_seed(1);
        using (var init = new BertForQuestionAnswering(config))
        {
            BertInitializer.Initialize(init, config);
            BertCheckpoint.Save(init, config, dir, "BertForQuestionAnswering");
            tokenizer.SaveVocabulary(Path.Combine(dir, "vocab.txt"));
            tokenizer.SaveConfig(Path.Combine(dir, "tokenizer_config.json"));
        }
        var ml = new MLContext(seed: 1);
        var empty = ml.Data.LoadFromEnumerable(rows);
        using var qa = ml.MulticlassClassification.Trainers.QuestionAnswer(new QuestionAnsweringOptions
        {
            CheckpointDirectory = dir, MaxEpochs = 0, MaxSequenceLength = 384, DocumentStride = 128, BatchSize = 8,
        }).Fit(empty);
        var questions = rows.Select(r => r.Question).ToList();
        var contexts = rows.Select(r => r.Context).ToList();
        var encoder = new QaEncoder(qa.Tokenizer, 384, 128, 64);
        var windows = rows.SelectMany(r => encoder.Encode(r.Question, r.Context).Windows).ToList();
        Console.WriteLine($"{rows.Count} questions → {windows.Count} windows of {windows.Average(w => w.InputIds.Length):F0} tokens on average; BERT-base, batch 8, fp32, {get_num_threads()} torch threads");

        qa.Predict(questions.Take(2).ToList(), contexts.Take(2).ToList());   // warm-up
        var full = new List<double>();
        var bare = new List<double>();
        for (int r = 0; r < rounds; r++)
        {
            var sw = Stopwatch.StartNew();
            qa.Predict(questions, contexts);
            full.Add(rows.Count / sw.Elapsed.TotalSeconds);
            sw.Restart();
            for (int i = 0; i < windows.Count; i += 8)
                QuestionAnsweringPredictor.Logits(qa.Model, windows.Skip(i).Take(8).ToList(), qa.Tokenizer.PadTokenId, CPU);
            bare.Add(rows.Count / sw.Elapsed.TotalSeconds);
            Console.WriteLine($"round {r + 1}: transformer {full[^1]:F2} answers/s, bare forward of the same windows {bare[^1]:F2} questions/s");
        }
        Console.WriteLine($"transformer {full.Average():F2} answers/s (min {full.Min():F2}, max {full.Max():F2}); transformer / bare forward = {full.Average() / bare.Average():P0}");
        Directory.Delete(dir, recursive: true);
    }
}
