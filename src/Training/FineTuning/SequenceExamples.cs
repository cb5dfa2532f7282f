using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Transformers.Training.FineTuning;

/// <summary>
/// Training rows of a sequence task read from an <see cref="IDataView"/>: texts, optional pair texts, and a class index
/// (key − 1) or a float target. Bad rows are errors naming the column and the row (0-based), never silently skipped.
/// </summary>
internal sealed record SequenceExamples(string[] First, string[]? Second, long[]? Classes, float[]? Targets)
{
    public int Count => First.Length;

    /// <summary>Reads all rows; <paramref name="classCount"/> null = float targets (regression).</summary>
    public static SequenceExamples Read(IDataView data, string first, string? second, string label, int? classCount)
    {
        var schema = data.Schema;
        var firstCol = TextColumns.Require(schema, first);
        var secondCol = second is null ? (DataViewSchema.Column?)null : TextColumns.Require(schema, second);
        var labelCol = schema.GetColumnOrNull(label) ?? throw new ArgumentOutOfRangeException(nameof(label), $"Label column '{label}' not found.");
        var active = new List<DataViewSchema.Column> { firstCol, labelCol };
        if (secondCol is { } s) active.Add(s);
        var a = new List<string>(); var b = second is null ? null : new List<string>();
        var classes = classCount is null ? null : new List<long>(); var targets = classCount is null ? new List<float>() : null;
        using var cursor = data.GetRowCursor(active);
        var getFirst = cursor.GetGetter<ReadOnlyMemory<char>>(firstCol);
        var getSecond = secondCol is { } sc ? cursor.GetGetter<ReadOnlyMemory<char>>(sc) : null;
        var getKey = classCount is null ? null : Labels.KeyGetter(cursor, labelCol);
        var getFloat = classCount is null ? Labels.FloatGetter(cursor, labelCol) : null;
        ReadOnlyMemory<char> text = default;
        for (long row = 0; cursor.MoveNext(); row++)
        {
            getFirst(ref text);
            a.Add(TextColumns.NonEmpty(text, first, row));
            if (getSecond is not null) { getSecond(ref text); b!.Add(TextColumns.NonEmpty(text, second!, row)); }
            if (getKey is not null) classes!.Add(Labels.ClassIndex(getKey(), classCount!.Value, label, row));
            else
            {
                float y = getFloat!();
                if (!float.IsFinite(y)) throw new InvalidOperationException($"Label column '{label}', row {row}: the label is {y}; a similarity label must be a finite number.");
                targets!.Add(y);
            }
        }
        if (a.Count == 0) throw new InvalidOperationException($"The training data has no rows (column '{first}').");
        return new SequenceExamples(a.ToArray(), b?.ToArray(), classes?.ToArray(), targets?.ToArray());
    }
}

/// <summary>Text column checks shared by the fine-tuning readers.</summary>
internal static class TextColumns
{
    public static DataViewSchema.Column Require(DataViewSchema schema, string name)
    {
        var col = schema.GetColumnOrNull(name) ?? throw new ArgumentOutOfRangeException(nameof(name), $"Input column '{name}' not found.");
        if (col.Type is not TextDataViewType) throw new ArgumentException($"Input column '{name}' must be of type String, but is {col.Type}.", nameof(name));
        return col;
    }

    /// <summary>The text, or an error naming the column and row when it is missing, empty or whitespace.</summary>
    public static string NonEmpty(ReadOnlyMemory<char> text, string column, long row) =>
        text.Span.IsWhiteSpace()
            ? throw new InvalidOperationException($"Input column '{column}', row {row}: the text is empty. Remove or fill such rows before training (e.g. mlContext.Data.FilterByCustomPredicate).")
            : text.ToString();
}

/// <summary>Label readers shared by the fine-tuning readers.</summary>
internal static class Labels
{
    public static Func<uint> KeyGetter(DataViewRowCursor cursor, DataViewSchema.Column column)
    {
        if (column.Type is not KeyDataViewType key || key.RawType != typeof(uint))
            throw new ArgumentException($"Label column '{column.Name}' must be a key of UInt32 (use MapValueToKey), but is {column.Type}.");
        var getter = cursor.GetGetter<uint>(column);
        uint value = 0;
        return () => { getter(ref value); return value; };
    }

    public static Func<float> FloatGetter(DataViewRowCursor cursor, DataViewSchema.Column column)
    {
        if (column.Type is NumberDataViewType n && n.RawType == typeof(float))
        {
            var getter = cursor.GetGetter<float>(column); float value = 0;
            return () => { getter(ref value); return value; };
        }
        if (column.Type is NumberDataViewType d && d.RawType == typeof(double))
        {
            var getter = cursor.GetGetter<double>(column); double value = 0;
            return () => { getter(ref value); return (float)value; };
        }
        throw new ArgumentException($"Label column '{column.Name}' must be of type Single, but is {column.Type}.");
    }

    /// <summary>Key (1-based, 0 = missing) → class index; errors name the column and row.</summary>
    public static long ClassIndex(uint key, int classCount, string column, long row) => key switch
    {
        0 => throw new InvalidOperationException($"Label column '{column}', row {row}: the label is missing (key 0). Remove such rows or map every label value to a key."),
        _ when key > classCount => throw new InvalidOperationException($"Label column '{column}', row {row}: key {key} is outside the head's {classCount} classes."),
        _ => key - 1,
    };
}
