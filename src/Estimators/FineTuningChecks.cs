using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transformers.Models;
using MLNet.Transformers.Training;
using MLNet.Transformers.Transforms.FineTuning;
using MLNet.Transformers.Transforms.Infrastructure;

namespace MLNet.Transformers.Estimators;

/// <summary>Option, label and head checks shared by the fine-tuning estimators; every error names the column or option.</summary>
internal static class FineTuningChecks
{
    public static void Common(int batchSize, int maxEpochs, int maxSequenceLength, int minLength, TrainerOptions training, double? dropout)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batchSize must be at least 1.");
        if (maxEpochs < 0) throw new ArgumentOutOfRangeException(nameof(maxEpochs), maxEpochs, "maxEpochs must not be negative.");
        if (maxSequenceLength < minLength)
            throw new ArgumentOutOfRangeException(nameof(maxSequenceLength), maxSequenceLength, "MaxSequenceLength must leave room for the special tokens and at least one token.");
        if (dropout is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(dropout), dropout, "ClassifierDropout must be in [0, 1).");
        ArgumentNullException.ThrowIfNull(training, "Training");
    }

    /// <summary>
    /// Throws an <see cref="ArgumentException"/> for a <see cref="Precision"/> value outside the enum (e.g. a cast integer), and
    /// for <see cref="Precision.Int8"/> where the transformer has no ONNX Runtime engine or the device is not the CPU — before
    /// training, not after it.
    /// </summary>
    public static void KnownPrecision(Precision precision, bool offersInt8 = false, string device = "cpu")
    {
        if (!Enum.IsDefined(precision))
            throw new ArgumentException($"Precision {(int)precision} is not one of {string.Join(", ", Enum.GetNames<Precision>())}.", nameof(precision));
        if (precision == Precision.Int8 && !offersInt8) throw new ArgumentException(Inference.ScoringPrecision.Int8NotOffered, nameof(precision));
        if (precision == Precision.Int8 && !device.StartsWith("cpu", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"Precision.Int8 runs in ONNX Runtime on the CPU; Device is '{device}'. Use Device = \"cpu\" or another precision.", nameof(precision));
    }

    /// <summary>
    /// The classes: from the label's key type and KeyValues when the label column is there, else (scoring only) from the
    /// checkpoint's id2label or its head's size. Text key values must equal a non-default id2label, in order.
    /// </summary>
    public static LabelClasses ResolveClasses(DataViewSchema schema, string labelColumn, EncoderCheckpointInfo info, bool trains, string checkpoint)
    {
        var label = schema.GetColumnOrNull(labelColumn);
        var itemType = label?.Type is VectorDataViewType v ? v.ItemType : label?.Type;
        if (label is null || itemType is not KeyDataViewType)
        {
            if (trains) throw new ArgumentOutOfRangeException(nameof(labelColumn), $"Label column '{labelColumn}' not found.");
            if (info.Id2Label is { } names) return LabelClasses.FromNames(names);
            if (info.HeadOutputs is int n) return LabelClasses.FromNames(Enumerable.Range(0, n).Select(i => $"LABEL_{i}").ToArray());
            throw new InvalidOperationException($"MaxEpochs is 0 but checkpoint '{checkpoint}' has no classifier head to score with; train a head (MaxEpochs > 0).");
        }
        var classes = LabelClasses.FromKeyColumn(label.Value);
        if (classes.ItemType == "Text" && info.Id2Label is { } id2label && !IsDefault(id2label) && !id2label.SequenceEqual(classes.Values))
            throw new ArgumentException($"Label column '{labelColumn}' has key values [{string.Join(", ", classes.Values)}] but checkpoint '{checkpoint}' " +
                $"names its classes [{string.Join(", ", id2label)}] (id2label in config.json). Map the labels to keys in the checkpoint's order " +
                "(MapValueToKey with keyData), or start from a checkpoint without this head.");
        return classes;
    }

    // HF writes LABEL_0, LABEL_1, ... when a head was created without names.
    private static bool IsDefault(IReadOnlyList<string> names) => names.Select((n, i) => n == $"LABEL_{i}").All(x => x);

    /// <summary>A stored head must have exactly the classes the label has; scoring (MaxEpochs 0) needs one.</summary>
    public static void HeadMatches(EncoderCheckpointInfo info, int numLabels, bool trains, string labelColumn, string checkpoint)
    {
        if (info.HeadOutputs is int n && n != numLabels)
            throw new ArgumentException($"Label column '{labelColumn}' has {numLabels} {(numLabels == 1 ? "output (regression)" : "classes")} but the classifier head " +
                $"of checkpoint '{checkpoint}' has {n} outputs. Use a checkpoint without a classifier head (e.g. a pretraining checkpoint) or with {numLabels} outputs.");
        if (!trains && info.HeadOutputs is null)
            throw new InvalidOperationException($"MaxEpochs is 0 but checkpoint '{checkpoint}' has no classifier head to score with; train a head (MaxEpochs > 0).");
    }

    /// <summary>The predicted-key column's shape with the label's KeyValues annotation plus the score kinds.</summary>
    public static SchemaShape.Column WithLabelKeyValues(SchemaShape.Column predicted, SchemaShape.Column label)
    {
        var annotations = predicted.Annotations.Where(a => a.Name != AnnotationUtils.Kinds.KeyValues).ToList();
        if (label.Annotations.TryFindColumn(AnnotationUtils.Kinds.KeyValues, out var keyValues)) annotations.Add(keyValues);
        var keyType = new KeyDataViewType(typeof(uint), 1);
        return EstimatorSchema.Column(predicted.Name, predicted.Kind == SchemaShape.Column.VectorKind.Scalar ? keyType : new VectorDataViewType(keyType),
            new SchemaShape(annotations));
    }

    /// <summary>A validation set must label with the same classes (key count and values) as the training data.</summary>
    public static void SameClasses(IDataView validation, string labelColumn, LabelClasses classes)
    {
        var label = validation.Schema.GetColumnOrNull(labelColumn)
            ?? throw new ArgumentOutOfRangeException(nameof(validation), $"Label column '{labelColumn}' not found in the validation set.");
        var other = LabelClasses.FromKeyColumn(label);
        if (!other.Values.SequenceEqual(classes.Values))
            throw new ArgumentException($"Label column '{labelColumn}' of the validation set has key values [{string.Join(", ", other.Values)}] but the " +
                $"training data has [{string.Join(", ", classes.Values)}]; map both with the same fitted MapValueToKey.", nameof(validation));
    }
}
