// BERT as a frozen feature extractor inside an ML.NET pipeline:
// SST-2 sentences → TransformerEmbedding (mean-pooled BERT vectors) → L-BFGS logistic regression → accuracy on SST-2 dev.
//
//   dotnet run -c Release --project examples/SentimentEmbeddings [checkpointDirectory] [trainRows]
//
// With no checkpoint argument a BERT-Tiny with random weights is created on the spot (this shows the plumbing; a random
// encoder is a weak featuriser). Pass a Hugging Face BERT folder (config.json + model.safetensors + vocab.txt), or the
// checkpoint written by examples/Pretraining, for useful features.
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transformers;
using MLNet.Transformers.Models.Bert;
using MLNet.Transformers.Transforms;

var data = Path.Combine(AppContext.BaseDirectory, "data");
string checkpoint = args.Length > 0 ? args[0] : CreateRandomBertTiny(Path.Combine(Path.GetTempPath(), "mlnet-transformers-bert-tiny-random"));
int trainRows = args.Length > 1 ? int.Parse(args[1]) : 2000;

var ml = new MLContext(seed: 1);
var train = ml.Data.TakeRows(ml.Data.ShuffleRows(LoadSst2(ml, Path.Combine(data, "sst2-train.tsv")), seed: 1), trainRows);
var dev = LoadSst2(ml, Path.Combine(data, "sst2-dev.tsv"));

var pipeline = ml.Transforms.Text.TransformerEmbedding(checkpoint, "Features", "Sentence", pooling: EmbeddingPooling.Mean, maxSequenceLength: 64)
    .Append(ml.Transforms.NormalizeMeanVariance("Features"))
    .Append(ml.BinaryClassification.Trainers.LbfgsLogisticRegression("Label", "Features"));

Console.WriteLine($"Embedding {trainRows} SST-2 training sentences with {checkpoint} and training a logistic regression…");
var model = pipeline.Fit(train);
var metrics = ml.BinaryClassification.Evaluate(model.Transform(dev));
Console.WriteLine($"SST-2 dev: accuracy {metrics.Accuracy:P1}, AUC {metrics.AreaUnderRocCurve:F3} ({dev.GetColumn<bool>("Label").Count()} sentences)");

// The whole pipeline, BERT weights and vocabulary included, is one ML.NET model file.
var path = Path.Combine(Path.GetTempPath(), "sentiment-embeddings.zip");
ml.Model.Save(model, train.Schema, path);
var engine = ml.Model.CreatePredictionEngine<Review, Verdict>(ml.Model.Load(path, out _));
foreach (var sentence in new[] { "a gorgeous, witty and moving film", "a dull, lifeless mess" })
{
    var v = engine.Predict(new Review { Sentence = sentence });
    Console.WriteLine($"  \"{sentence}\" → {(v.PredictedLabel ? "positive" : "negative")} (p = {v.Probability:F2})");
}

static IDataView LoadSst2(MLContext ml, string path) =>
    ml.Data.LoadFromTextFile<Review>(path, separatorChar: '\t', hasHeader: true, allowQuoting: false);

// A BERT-Tiny (2 layers, hidden 128) with Hugging Face's initialisation and the real uncased vocabulary, saved in HF layout.
string CreateRandomBertTiny(string directory)
{
    TorchSharp.torch.manual_seed(1);
    using var encoder = new BertModel(BertConfig.Tiny());
    BertInitializer.Initialize(encoder, encoder.Config);
    BertCheckpoint.Save(encoder, encoder.Config, directory, "BertModel");
    File.Copy(Path.Combine(data, "vocab.txt"), Path.Combine(directory, "vocab.txt"), overwrite: true);
    return directory;
}

internal sealed class Review
{
    [LoadColumn(0)] public string Sentence { get; set; } = "";
    [LoadColumn(1)] public bool Label { get; set; }
}

internal sealed class Verdict
{
    public bool PredictedLabel { get; set; }
    public float Probability { get; set; }
}
