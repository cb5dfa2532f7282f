using MLNet.Transformers.Estimators;
using MLNet.Transformers.Models;

namespace MLNet.Transformers.Tests.Estimators;

/// <summary>The fine-tuning options share one base, and ML.NET's names and defaults are what each trainer had before.</summary>
[TestClass]
public sealed class FineTuningOptionsTests
{
    [TestMethod]
    public void SequenceOptions_KeepTheirDefaults_AndDifferOnlyInTheSecondTextAndOutputColumn()
    {
        var text = new TextClassificationOptions();
        var similarity = new SentenceSimilarityOptions();
        foreach (SequenceFineTuningOptions o in new SequenceFineTuningOptions[] { text, similarity })
        {
            Assert.AreEqual("", o.CheckpointDirectory);
            Assert.AreEqual(("Label", "Score", "Sentence1"), (o.LabelColumnName, o.ScoreColumnName, o.Sentence1ColumnName));
            Assert.AreEqual((32, 10, 512), (o.BatchSize, o.MaxEpochs, o.MaxSequenceLength));
            Assert.AreEqual((ClassificationHead.Pooler, false, (double?)null), (o.Head, o.FreezeEncoder, o.ClassifierDropout));
            Assert.AreEqual((Precision.Auto, "cpu"), (o.Precision, o.Device));
            Assert.IsNull(o.ValidationSet);
            Assert.AreEqual(5e-5, o.Training.LearningRate);
        }
        Assert.IsNull(text.Sentence2ColumnName);
        Assert.AreEqual("PredictedLabel", text.OutputColumnName);
        Assert.AreEqual("Sentence2", similarity.Sentence2ColumnName);
    }

    [TestMethod]
    public void TokenAndQaOptions_KeepTheirOwnDefaults_OnTheSharedBase()
    {
        var ner = new NamedEntityRecognitionOptions();
        Assert.AreEqual(("Label", "PredictedLabel", "Sentence"), (ner.LabelColumnName, ner.OutputColumnName, ner.Sentence1ColumnName));
        Assert.AreEqual((32, 10, 512), (ner.BatchSize, ner.MaxEpochs, ner.MaxSequenceLength));
        Assert.AreEqual(5e-5, ner.Training.LearningRate);

        var qa = new QuestionAnsweringOptions();
        Assert.AreEqual((4, 10, (int?)null, 3), (qa.BatchSize, qa.MaxEpochs, qa.MaxSequenceLength, qa.TopK));
        Assert.AreEqual(3e-5, qa.Training.LearningRate, "HF's SQuAD learning rate");
        Assert.AreNotSame(new QuestionAnsweringOptions().Training, qa.Training, "each options object has its own training settings");
        Assert.IsInstanceOfType<EncoderFineTuningOptions>(qa);
        Assert.IsInstanceOfType<EncoderFineTuningOptions>(ner);
    }
}
