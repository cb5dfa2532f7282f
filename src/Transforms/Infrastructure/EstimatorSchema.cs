using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transformers.Persistence;

namespace MLNet.Transformers.Transforms.Infrastructure;

/// <summary>The estimator-side schema check (<c>IEstimator.GetOutputSchema(SchemaShape)</c>) for our transformers.</summary>
public static class EstimatorSchema
{
    /// <summary>
    /// Checks <paramref name="inputs"/> against <paramref name="inputSchema"/> and returns it with <paramref name="outputs"/>
    /// added (replacing same-named columns). Errors name the column and the expected type, as in
    /// <see cref="BatchedTransformerBase.GetOutputSchema(DataViewSchema)"/>.
    /// </summary>
    public static SchemaShape GetOutputSchema(SchemaShape inputSchema, IEnumerable<InputColumnSpec> inputs, IEnumerable<OutputColumnSpec> outputs)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var columns = inputSchema.ToDictionary(c => c.Name);
        foreach (var spec in inputs)
        {
            if (!columns.TryGetValue(spec.Name, out var column))
            {
                if (spec.IsOptional) continue;
                throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Input column '{spec.Name}' not found.");
            }
            if (!Accepts(spec, column))
                throw new ArgumentException($"Input column '{spec.Name}' must be of type {spec.Type}, but is {Describe(column)}.", nameof(inputSchema));
        }
        foreach (var output in outputs)
            columns[output.Name] = Column(output.Name, output.Type, output.Annotations is null ? null : ShapeOf(output.Annotations.Schema));
        return new SchemaShape(columns.Values);
    }

    /// <summary>The shape of <paramref name="schema"/>, as ML.NET's estimator chains see it (SchemaShape.Create is internal).</summary>
    public static SchemaShape ShapeOf(DataViewSchema schema) => MLNetInternals.SchemaShapeOf(schema);

    /// <summary>
    /// The <see cref="SchemaShape.Column"/> describing a column of type <paramref name="type"/> with the given annotation
    /// shape (its constructor is internal in ML.NET). A key column is described as ML.NET does: its raw number type, flagged as key.
    /// </summary>
    public static SchemaShape.Column Column(string name, DataViewType type, SchemaShape? annotations = null)
    {
        var (kind, item) = type switch
        {
            VectorDataViewType v => (v.Size > 0 ? SchemaShape.Column.VectorKind.Vector : SchemaShape.Column.VectorKind.VariableVector, v.ItemType),
            _ => (SchemaShape.Column.VectorKind.Scalar, type),
        };
        bool isKey = item is KeyDataViewType;
        return MLNetInternals.NewSchemaShapeColumn(name, kind, isKey ? RawNumberType(item.RawType) : item, isKey, annotations);
    }

    // A SchemaShape knows the vector kind but not a fixed vector's size, so sizes are checked later by the transformer.
    private static bool Accepts(InputColumnSpec spec, SchemaShape.Column column) => spec.Type switch
    {
        VectorDataViewType v => column.Kind != SchemaShape.Column.VectorKind.Scalar && ItemAccepts(v.ItemType, column),
        _ => column.Kind == SchemaShape.Column.VectorKind.Scalar && ItemAccepts(spec.Type, column),
    };

    private static bool ItemAccepts(DataViewType expected, SchemaShape.Column column) => expected is KeyDataViewType
        ? column.IsKey && column.ItemType.RawType == expected.RawType
        : !column.IsKey && column.ItemType.Equals(expected);

    private static DataViewType RawNumberType(Type raw) =>
        raw == typeof(uint) ? NumberDataViewType.UInt32 : raw == typeof(ulong) ? NumberDataViewType.UInt64
        : raw == typeof(ushort) ? NumberDataViewType.UInt16 : NumberDataViewType.Byte;

    private static string Describe(SchemaShape.Column column)
    {
        string item = column.IsKey ? $"Key<{column.ItemType}>" : $"{column.ItemType}";
        return column.Kind == SchemaShape.Column.VectorKind.Scalar ? item : $"Vector<{item}>";
    }
}
