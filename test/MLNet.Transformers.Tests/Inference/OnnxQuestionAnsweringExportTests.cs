using Microsoft.ML;
using MLNet.Transformers.Estimators;
using MLNet.Transformers.Tests.Checkpoints;
using MLNet.Transformers.Tests.Encoders;
using MLNet.Transformers.Tests.QuestionAnswering;
using MLNet.Transformers.Tokenization;
using MLNet.Transformers.Transforms;
using static TorchSharp.torch;

namespace MLNet.Transformers.Tests.Inference;

/// <summary>
/// <see cref="QuestionAnsweringTransformer.ExportOnnx"/> for BERT, RoBERTa and DistilBERT: on the transformer's own
/// question-context windows (a long context cut into several, padded into one batch of different lengths) the exported
/// <c>start_logits</c>/<c>end_logits</c> equal the transformer's model to 1e-4; int8 stays close (logits within 1e-1
/// relative, per-window start/end probabilities within 5e-2).
/// </summary>
[TestClass]
public sealed class OnnxQuestionAnsweringExportTests
{
    private const int MaxLength = 38;

    private static readonly (string Question, string Context)[] Examples =
    [
        ("Which team won Super Bowl 50?",
         "The American Football Conference (AFC) champion Denver Broncos defeated the National Football Conference (NFC) champion Carolina Panthers 24–10 " +
         "to earn their third Super Bowl title. The game was played on February 7, 2016."),
        ("Where did the Normans settle?", "The Normans gave their name to Normandy, a region in France."),
        ("Who?", "Nobody."),
    ];

    private static QuestionAnsweringTransformer Answerer(string checkpoint)
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Examples.Select(e => new QuestionAnsweringEstimatorTests.QaInput { Question = e.Question, Context = e.Context }));
        return ml.MulticlassClassification.Trainers.QuestionAnswer(new QuestionAnsweringOptions
        {
            CheckpointDirectory = checkpoint, MaxEpochs = 0, MaxSequenceLength = MaxLength, DocumentStride = 8,
        }).Fit(data);
    }

    // Every window QuestionAnswer scores for the examples, padded with the tokenizer's pad id into one batch.
    private static EncodedTextBatch Windows(IEncoderTokenizer tokenizer)
    {
        var encoder = new QaEncoder(tokenizer, MaxLength, documentStride: 8, maxQuestionLength: 64);
        var windows = Examples.SelectMany(e => encoder.Encode(e.Question, e.Context).Windows).ToList();
        int t = windows.Max(w => w.InputIds.Length);
        Assert.IsGreaterThan(2, windows.Select(w => w.InputIds.Length).Distinct().Count(), "windows of different lengths");
        var (ids, types, mask) = (new long[windows.Count * t], new long[windows.Count * t], new long[windows.Count * t]);
        Array.Fill(ids, tokenizer.PadTokenId);
        for (int r = 0; r < windows.Count; r++)
            for (int i = 0; i < windows[r].InputIds.Length; i++)
                (ids[r * t + i], types[r * t + i], mask[r * t + i]) = (windows[r].InputIds[i], windows[r].TokenTypeIds[i], 1);
        return new EncodedTextBatch(ids, types, mask, windows.Count, t, []);
    }

    private static (float[] Start, float[] End) TorchLogits(QuestionAnsweringTransformer transformer, EncodedTextBatch batch)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var shape = new long[] { batch.BatchSize, batch.SequenceLength };
        var logits = transformer.Model.forward(tensor(batch.InputIds, shape), tensor(batch.TokenTypeIds, shape), tensor(batch.AttentionMask, shape));
        return (logits.Start.contiguous().data<float>().ToArray(), logits.End.contiguous().data<float>().ToArray());
    }

    private static string Checkpoint(string family, QaFixture bert, EncoderFixture roberta, EncoderFixture distilbert) => family switch
    {
        "bert" => bert.Path,
        "roberta" => EncoderFineTuningTests.Folder(roberta, "QuestionAnswering"),
        _ => EncoderFineTuningTests.Folder(distilbert, "QuestionAnswering"),
    };

    [TestMethod]
    [DataRow("bert")]
    [DataRow("roberta")]
    [DataRow("distilbert")]
    public void QaExport_GivesTheModelsStartAndEndLogitsWithin1e4_OnPaddedWindows(string family)
    {
        using var bert = new QaFixture();
        using var roberta = EncoderFineTuningTests.WithTokenizerVocabulary("roberta");
        using var distilbert = EncoderFineTuningTests.WithTokenizerVocabulary("distilbert");
        using var dir = new TempDirectory();
        using var transformer = Answerer(Checkpoint(family, bert, roberta, distilbert));
        transformer.ExportOnnx(dir.File("qa.onnx"));

        var batch = Windows(transformer.Tokenizer);
        var outputs = OnnxClassifierExportTests.Run(dir.File("qa.onnx"), batch);
        var (start, end) = TorchLogits(transformer, batch);
        Assert.HasCount(start.Length, outputs["start_logits"]);
        Assert.IsLessThan(1e-4, OnnxExportTests.MaxAbs(outputs["start_logits"], start), $"{family} start_logits");
        Assert.IsLessThan(1e-4, OnnxExportTests.MaxAbs(outputs["end_logits"], end), $"{family} end_logits");
    }

    [TestMethod]
    public void Int8QaExport_IsSmallerAndItsLogitsStayClose()
    {
        using var roberta = EncoderFineTuningTests.WithTokenizerVocabulary("roberta");
        using var dir = new TempDirectory();
        using var transformer = Answerer(EncoderFineTuningTests.Folder(roberta, "QuestionAnswering"));
        string fp32 = dir.File("fp32.onnx"), int8 = dir.File("int8.onnx");
        transformer.ExportOnnx(fp32);
        transformer.ExportOnnx(int8, quantizeInt8: true);
        var batch = Windows(transformer.Tokenizer);
        var (o32, o8) = (OnnxClassifierExportTests.Run(fp32, batch), OnnxClassifierExportTests.Run(int8, batch));
        double startError = OnnxExportTests.RelativeError(o8["start_logits"], o32["start_logits"]);
        double endError = OnnxExportTests.RelativeError(o8["end_logits"], o32["end_logits"]);
        // What span scores are made of: each window's softmax over its real tokens.
        double startProbability = OnnxExportTests.MaxAbs(Softmax(o8["start_logits"], batch), Softmax(o32["start_logits"], batch));
        double endProbability = OnnxExportTests.MaxAbs(Softmax(o8["end_logits"], batch), Softmax(o32["end_logits"], batch));
        Console.WriteLine($"int8 QA: logits rel err start {startError:E2} end {endError:E2}; max probability error start {startProbability:E2} end {endProbability:E2}");
        Assert.IsLessThan(new FileInfo(fp32).Length, new FileInfo(int8).Length);
        Assert.IsLessThan(1e-1, startError);
        Assert.IsLessThan(1e-1, endError);
        Assert.IsLessThan(5e-2, startProbability);
        Assert.IsLessThan(5e-2, endProbability);
    }

    private static float[] Softmax(float[] logits, EncodedTextBatch batch)
    {
        var result = new float[logits.Length];
        for (int r = 0; r < batch.BatchSize; r++)
        {
            var real = Enumerable.Range(r * batch.SequenceLength, batch.SequenceLength).Where(i => batch.AttentionMask[i] == 1).ToArray();
            double max = real.Max(i => logits[i]), sum = real.Sum(i => Math.Exp(logits[i] - max));
            foreach (int i in real) result[i] = (float)(Math.Exp(logits[i] - max) / sum);
        }
        return result;
    }
}
