using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Transformers.FreshProcess;

/// <summary>Formats any scalar or vector column (text, float, int) one line per row, for tests comparing outputs across processes.</summary>
public static class ProbeColumns
{
    public static IEnumerable<string> Format(IDataView data, string column)
    {
        var type = data.Schema[column].Type;
        return type switch
        {
            TextDataViewType => data.GetColumn<string>(column).Select(Escape),
            NumberDataViewType when type.RawType == typeof(float) => data.GetColumn<float>(column).Select(v => v.ToString("R", CultureInfo.InvariantCulture)),
            NumberDataViewType when type.RawType == typeof(int) => data.GetColumn<int>(column).Select(v => v.ToString(CultureInfo.InvariantCulture)),
            VectorDataViewType { ItemType.RawType: var t } when t == typeof(int) => data.GetColumn<int[]>(column).Select(v => string.Join(" ", v)),
            VectorDataViewType { ItemType.RawType: var t } when t == typeof(float) => data.GetColumn<float[]>(column).Select(v => string.Join(" ", v.Select(x => x.ToString("R", CultureInfo.InvariantCulture)))),
            _ => throw new ArgumentException($"Column '{column}' has type {type}, which the probe does not format."),
        };
    }

    // One line per row: newlines and backslashes escaped.
    public static string Escape(string s) => s.Replace("\\", "\\\\").Replace("\n", "\\n").Replace("\r", "\\r");
}
