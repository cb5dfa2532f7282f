using Microsoft.ML.Data;

namespace MLNet.Transformers.Transforms.Infrastructure;

/// <summary>
/// The plain .NET type a column's values have inside a <see cref="RowBatch"/>: text is string, vectors are arrays
/// (dense), scalars keep their raw type. Conversions to and from ML.NET's representation live in the buffer classes.
/// </summary>
internal static class ClrTypes
{
    internal static Type Of(DataViewType type) => type switch
    {
        TextDataViewType => typeof(string),
        VectorDataViewType { ItemType: TextDataViewType } => typeof(string[]),
        VectorDataViewType v => v.ItemType.RawType.MakeArrayType(),
        _ => type.RawType,
    };

    internal static string Describe(Type clr) => clr.IsArray ? clr.GetElementType()!.Name + "[]" : clr.Name;
}
