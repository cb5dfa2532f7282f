namespace MLNet.Transformers.Transforms.Infrastructure;

/// <summary>
/// One batch of rows handed to <see cref="BatchedTransformerBase.MapBatch"/>: read the input columns, compute, and set
/// every active output column (one value per row).
/// </summary>
public sealed class RowBatch
{
    private readonly Dictionary<string, Array?> _inputs;
    private readonly Dictionary<string, OutputColumnSpec> _outputSpecs;
    private readonly Dictionary<string, Array> _outputs = new();
    private readonly HashSet<string> _activeOutputs;

    internal RowBatch(int count, Dictionary<string, Array?> inputs, IEnumerable<OutputColumnSpec> outputSpecs, HashSet<string> activeOutputs)
    {
        Count = count;
        _inputs = inputs;
        _outputSpecs = outputSpecs.ToDictionary(s => s.Name);
        _activeOutputs = activeOutputs;
    }

    /// <summary>Number of rows in this batch (at least 1).</summary>
    public int Count { get; }

    /// <summary>
    /// The values of input column <paramref name="name"/>, one per row: string for text, T[] for vectors, the raw type
    /// for scalars. Null when the column is optional and absent from the data.
    /// </summary>
    public T[] GetInput<T>(string name)
    {
        if (!_inputs.TryGetValue(name, out Array? values))
            throw new ArgumentException($"'{name}' is not one of this transformer's input columns.", nameof(name));
        if (values is null) return null!;
        return values as T[] ?? throw new ArgumentException(
            $"Input column '{name}' holds {ClrTypes.Describe(values.GetType().GetElementType()!)} values, not {ClrTypes.Describe(typeof(T))}.", nameof(name));
    }

    /// <summary>
    /// This batch's rows as <see cref="BatchedTransformerBase.EncodeRows"/> encoded them for length bucketing, in this batch's
    /// row order; null when the rows were not bucketed (or the encodings are not <typeparamref name="T"/>): encode them then.
    /// </summary>
    public T[]? Encoded<T>() => EncodedValues as T[];

    internal Array? EncodedValues { get; init; }

    /// <summary>Whether the optional input column <paramref name="name"/> is present in the data.</summary>
    public bool HasInput(string name) => _inputs.TryGetValue(name, out Array? values) && values is not null;

    /// <summary>Whether anyone reads output column <paramref name="name"/>; inactive outputs may be skipped.</summary>
    public bool IsOutputActive(string name) => _activeOutputs.Contains(name);

    /// <summary>Sets output column <paramref name="name"/>: exactly <see cref="Count"/> non-null values.</summary>
    public void SetOutput<T>(string name, T[] values)
    {
        if (!_outputSpecs.TryGetValue(name, out OutputColumnSpec? spec))
            throw new ArgumentException($"'{name}' is not one of this transformer's output columns.", nameof(name));
        ArgumentNullException.ThrowIfNull(values);
        OutputValues.Validate(spec, values, Count);
        _outputs[name] = values;
    }

    internal Array GetOutput(string name) =>
        _outputs.TryGetValue(name, out Array? values) ? values
        : throw new InvalidOperationException($"MapBatch did not set output column '{name}'.");
}
