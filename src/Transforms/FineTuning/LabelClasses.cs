using System.Globalization;
using System.Text.Json.Serialization;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Transformers.Transforms.FineTuning;

/// <summary>
/// The classes of a classification head and their key values: what <c>MapValueToKey</c> put in the label column's
/// <c>KeyValues</c> annotation (copied to the predicted-label column so <c>MapKeyToValue</c> gives the original values
/// back), or the checkpoint's <c>id2label</c>. Saved inside the ML.NET model as JSON, so the values are kept as invariant
/// strings together with their ML.NET item type.
/// </summary>
/// <param name="ItemType">Item type of the key values: "Text", "Boolean", "Single", "Double", "Int32", "Int64", "UInt32" or "UInt64".</param>
/// <param name="Values">Key value of class i (key i + 1), as an invariant string.</param>
public sealed record LabelClasses(string ItemType, IReadOnlyList<string> Values)
{
    /// <summary>Number of classes.</summary>
    [JsonIgnore] public int Count => Values.Count;

    /// <summary>The key type of the label / predicted label: uint keys 1..Count (0 = missing).</summary>
    [JsonIgnore] public KeyDataViewType KeyType => new(typeof(uint), Count);

    /// <summary>Classes named by text (an HF <c>id2label</c>).</summary>
    public static LabelClasses FromNames(IReadOnlyList<string> names) => new("Text", names.ToArray());

    /// <summary>Reads the key count and KeyValues of <paramref name="label"/>; classes without KeyValues are named "0", "1", ….</summary>
    public static LabelClasses FromKeyColumn(DataViewSchema.Column label)
    {
        var key = label.Type.GetItemType() as KeyDataViewType
            ?? throw new ArgumentException($"Label column '{label.Name}' must be a key type (use MapValueToKey), but is {label.Type}.");
        if (key.Count > int.MaxValue) throw new ArgumentException($"Label column '{label.Name}' has too many classes ({key.Count}).");
        var kvColumn = label.Annotations.Schema.GetColumnOrNull(AnnotationUtils.Kinds.KeyValues);
        if (kvColumn is null || kvColumn.Value.Type is not VectorDataViewType vector)
            return new("Text", Enumerable.Range(0, (int)key.Count).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray());
        string[] values = vector.ItemType switch
        {
            TextDataViewType => Read<ReadOnlyMemory<char>>(label, v => v.ToString()),
            BooleanDataViewType => Read<bool>(label, v => v ? "True" : "False"),
            NumberDataViewType n when n.RawType == typeof(float) => Read<float>(label, v => v.ToString("R", CultureInfo.InvariantCulture)),
            NumberDataViewType n when n.RawType == typeof(double) => Read<double>(label, v => v.ToString("R", CultureInfo.InvariantCulture)),
            NumberDataViewType n when n.RawType == typeof(int) => Read<int>(label, v => v.ToString(CultureInfo.InvariantCulture)),
            NumberDataViewType n when n.RawType == typeof(long) => Read<long>(label, v => v.ToString(CultureInfo.InvariantCulture)),
            NumberDataViewType n when n.RawType == typeof(uint) => Read<uint>(label, v => v.ToString(CultureInfo.InvariantCulture)),
            NumberDataViewType n when n.RawType == typeof(ulong) => Read<ulong>(label, v => v.ToString(CultureInfo.InvariantCulture)),
            _ => throw new ArgumentException($"Label column '{label.Name}' has key values of type {vector.ItemType}, which is not supported (use text, bool or a number)."),
        };
        if (values.Length != (int)key.Count)
            throw new ArgumentException($"Label column '{label.Name}' has {key.Count} keys but {values.Length} key values.");
        return new(vector.ItemType switch { TextDataViewType => "Text", BooleanDataViewType => "Boolean", _ => vector.ItemType.RawType.Name }, values);
    }

    private static string[] Read<T>(DataViewSchema.Column label, Func<T, string> format)
    {
        var buffer = default(VBuffer<T>);
        label.Annotations.GetValue(AnnotationUtils.Kinds.KeyValues, ref buffer);
        return buffer.DenseValues().Select(format).ToArray();
    }

    /// <summary>The annotations of a predicted-label column: KeyValues (and the score-set kinds ML.NET's evaluators look for).</summary>
    public DataViewSchema.Annotations KeyValuesAnnotations(bool isPredictedLabel = false)
    {
        var builder = new DataViewSchema.Annotations.Builder();
        switch (ItemType)
        {
            case "Text": Add(builder, TextDataViewType.Instance, v => v.AsMemory()); break;
            case "Boolean": Add(builder, BooleanDataViewType.Instance, v => v == "True"); break;
            case "Single": Add(builder, NumberDataViewType.Single, v => float.Parse(v, CultureInfo.InvariantCulture)); break;
            case "Double": Add(builder, NumberDataViewType.Double, v => double.Parse(v, CultureInfo.InvariantCulture)); break;
            case "Int32": Add(builder, NumberDataViewType.Int32, v => int.Parse(v, CultureInfo.InvariantCulture)); break;
            case "Int64": Add(builder, NumberDataViewType.Int64, v => long.Parse(v, CultureInfo.InvariantCulture)); break;
            case "UInt32": Add(builder, NumberDataViewType.UInt32, v => uint.Parse(v, CultureInfo.InvariantCulture)); break;
            case "UInt64": Add(builder, NumberDataViewType.UInt64, v => ulong.Parse(v, CultureInfo.InvariantCulture)); break;
            default: throw new InvalidOperationException($"Unknown key value type '{ItemType}'.");
        }
        if (isPredictedLabel) ScoreAnnotations.AddScoreKinds(builder, ScoreAnnotations.MulticlassClassification, ScoreAnnotations.PredictedLabelValueKind);
        return builder.ToAnnotations();
    }

    private void Add<T>(DataViewSchema.Annotations.Builder builder, PrimitiveDataViewType type, Func<string, T> parse)
    {
        var values = Values.Select(parse).ToArray();
        builder.Add(AnnotationUtils.Kinds.KeyValues, new VectorDataViewType(type, values.Length),
            (ref VBuffer<T> dst) => dst = new VBuffer<T>(values.Length, values.ToArray()));
    }

    /// <summary>HF's <c>id2label</c>: the values as strings.</summary>
    public Dictionary<string, string> ToId2Label() =>
        Values.Select((v, i) => (i, v)).ToDictionary(p => p.i.ToString(CultureInfo.InvariantCulture), p => p.v);
}
