using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.TorchSharp;

namespace MLNet.Transformers.Consumer;

/// <summary>
/// With both libraries imported, <c>TextClassification</c> written as ML.NET's docs write it binds to ML.NET's trainer (its
/// NAS-BERT/RoBERTa model is downloaded only at Fit, so only its output schema is asked for), and the call with a checkpoint
/// binds to this library's.
/// </summary>
public static class TextClassificationBinding
{
    public static void Run(string checkpoint)
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new ConsumerChecks.Review { Text = "fine", Label = "pos" } });

        // ML.NET's docs: `using Microsoft.ML.TorchSharp;` and the trainer with named column arguments.
        var theirs = ml.MulticlassClassification.Trainers.TextClassification(labelColumnName: "Label", sentence1ColumnName: "Text");
        Require(theirs.GetType().Assembly.GetName().Name == "Microsoft.ML.TorchSharp",
            $"ML.NET's TextClassification call bound to {theirs.GetType().FullName} in {theirs.GetType().Assembly.GetName().Name}");
        var outputs = ml.Transforms.Conversion.MapValueToKey("Label").Append(theirs).GetOutputSchema(ShapeOf(data.Schema));
        Require(outputs.Any(c => c.Name == "PredictedLabel") && outputs.Any(c => c.Name == "Score"),
            "ML.NET's TextClassification output schema has no PredictedLabel/Score: " + string.Join(", ", outputs.Select(c => c.Name)));
        Console.WriteLine($"theirs: {theirs.GetType().FullName} ({theirs.GetType().Assembly.GetName().Name}), outputs {string.Join(", ", outputs.Select(c => c.Name))}");

        var ours = ml.MulticlassClassification.Trainers.TextClassification(checkpoint, sentence1ColumnName: "Text");
        Require(ours.GetType().Assembly.GetName().Name == "MLNet.Transformers",
            $"the checkpoint TextClassification call bound to {ours.GetType().FullName} in {ours.GetType().Assembly.GetName().Name}");
        Console.WriteLine($"ours: {ours.GetType().FullName} ({ours.GetType().Assembly.GetName().Name})");

        Console.WriteLine($"TorchSharp {Informational(typeof(TorchSharp.torch).Assembly)}, " +
            $"Microsoft.ML.Tokenizers {Informational(typeof(Microsoft.ML.Tokenizers.Tokenizer).Assembly)}");
    }

    // SchemaShape.Create is internal in ML.NET and a SchemaShape.Column cannot be built with public API; an application
    // asking an estimator chain for its output schema without data has no public way to make the input shape.
    private static SchemaShape ShapeOf(DataViewSchema schema) =>
        (SchemaShape)typeof(SchemaShape).GetMethod("Create", BindingFlags.NonPublic | BindingFlags.Static)!.Invoke(null, [schema])!;

    private static string Informational(Assembly assembly) =>
        assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion.Split('+')[0];

    private static void Require(bool condition, string message)
    {
        if (!condition) throw new InvalidOperationException(message);
    }
}
