using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Transformers.Transforms.Infrastructure;

/// <summary>
/// An input column a <see cref="BatchedTransformerBase"/> reads. <see cref="Type"/> is the expected type; a vector type
/// of size 0 accepts vectors of any size with that item type; a key type accepts keys of any count (labels after
/// <c>MapValueToKey</c>) with the same raw type. In <see cref="RowBatch"/> the values arrive as
/// string (text), the raw scalar type (float, int, bool, ...) or arrays of those (vectors).
/// </summary>
/// <param name="Name">Column name in the input data.</param>
/// <param name="Type">Expected column type.</param>
/// <param name="IsOptional">When true the column may be absent; <see cref="RowBatch.GetInput{T}"/> then returns null.</param>
public sealed record InputColumnSpec(string Name, DataViewType Type, bool IsOptional = false)
{
    /// <summary>Whether a column of type <paramref name="actual"/> satisfies this spec.</summary>
    public bool Accepts(DataViewType actual) =>
        Type is VectorDataViewType { Size: 0 } expected
            ? actual is VectorDataViewType v && ItemAccepts(expected.ItemType, v.ItemType)
            : ItemAccepts(Type, actual);

    private static bool ItemAccepts(DataViewType expected, DataViewType actual) =>
        expected is KeyDataViewType key ? actual is KeyDataViewType k && k.RawType == key.RawType : actual.Equals(expected);
}

/// <summary>
/// An output column a <see cref="BatchedTransformerBase"/> appends (hiding an input column of the same name).
/// <see cref="RowBatch.SetOutput{T}"/> takes its values as string, the raw scalar type, or arrays of those (vectors;
/// the length must equal the vector size unless it is 0).
/// </summary>
/// <param name="Name">Column name in the output data.</param>
/// <param name="Type">Column type, e.g. <c>new VectorDataViewType(NumberDataViewType.Single, hiddenSize)</c>.</param>
/// <param name="Annotations">Annotations the column carries (KeyValues of a predicted key, SlotNames and score kinds of a
/// score column: what <c>MapKeyToValue</c> and ML.NET's evaluators read), or null.</param>
public sealed record OutputColumnSpec(string Name, DataViewType Type, DataViewSchema.Annotations? Annotations = null);
