using Microsoft.ML;

namespace MLNet.Transformers.Transforms.Infrastructure;

/// <summary>
/// Shared by the lazy cursor and the row mapper: buffers the needed input columns of up to <c>capacity</c> rows from a
/// source row, runs <see cref="BatchedTransformerBase.MapBatch"/> once per batch, and serves any column of the
/// current slot. One instance per cursor/row, so nothing here is shared between threads.
/// </summary>
internal sealed class BatchScorer
{
    private readonly BatchedTransformerBase _transformer;
    private readonly DataViewSchema _inputSchema;
    private readonly Dictionary<int, InputBuffer> _buffers = new();   // by input column index
    private readonly HashSet<string> _activeOutputs;
    private RowBatch? _batch;
    private int _count;

    internal BatchScorer(BatchedTransformerBase transformer, DataViewRow source, IEnumerable<int> bufferedInputs,
        HashSet<string> activeOutputs, int capacity)
    {
        _transformer = transformer;
        _inputSchema = source.Schema;
        _activeOutputs = activeOutputs;
        foreach (int col in bufferedInputs.Distinct())
            _buffers[col] = InputBuffer.Create(source, _inputSchema[col], capacity);
    }

    internal bool ComputesOutputs => _activeOutputs.Count > 0;

    /// <summary>Input column indices the model reads (only those present; optional columns may be absent).</summary>
    internal static IEnumerable<int> ModelInputs(BatchedTransformerBase transformer, DataViewSchema inputSchema) =>
        transformer.InputColumns.Select(c => inputSchema.GetColumnOrNull(c.Name)).Where(c => c.HasValue).Select(c => c!.Value.Index);

    internal void Fill(int slot) { foreach (var b in _buffers.Values) b.Fill(slot); }

    /// <summary>
    /// Ends a batch of <paramref name="count"/> filled rows: runs the model if an output is active. A failure is reported
    /// as an <see cref="InvalidOperationException"/> naming the row (<paramref name="firstRowPosition"/> + its slot) and the
    /// input columns; disposal and cancellation pass through unchanged.
    /// </summary>
    internal void Complete(int count, long firstRowPosition)
    {
        _count = count;
        _batch = null;
        if (!ComputesOutputs || count == 0) return;
        var inputs = new Dictionary<string, Array?>();
        foreach (var spec in _transformer.InputColumns)
        {
            var col = _inputSchema.GetColumnOrNull(spec.Name);
            inputs[spec.Name] = col.HasValue ? _buffers[col.Value.Index].ToClr(count) : null;
        }
        var batch = new RowBatch(count, inputs, _transformer.OutputColumns, _activeOutputs);
        try
        {
            _transformer.MapBatchGuarded(batch);
            foreach (string name in _activeOutputs) batch.GetOutput(name);   // fail here, not in a getter, if one is missing
        }
        catch (Exception e) when (e is not (ObjectDisposedException or OperationCanceledException or OutOfMemoryException))
        {
            throw RowError(inputs, count, firstRowPosition, e);
        }
        _batch = batch;
    }

    // Which row broke the batch: score the rows one at a time (only on failure) and report the first that fails.
    private InvalidOperationException RowError(Dictionary<string, Array?> inputs, int count, long firstRowPosition, Exception batchError)
    {
        int slot = -1;
        Exception error = batchError;
        for (int i = 0; i < count && count > 1; i++)
        {
            var single = inputs.ToDictionary(kv => kv.Key, kv => kv.Value is null ? null : Slice(kv.Value, i));
            try { _transformer.MapBatchGuarded(new RowBatch(1, single, _transformer.OutputColumns, _activeOutputs)); }
            catch (Exception e) when (e is not (ObjectDisposedException or OperationCanceledException or OutOfMemoryException))
            {
                (slot, error) = (i, e);
                break;
            }
        }
        string columns = string.Join(", ", _transformer.InputColumns.Select(c => $"'{c.Name}'"));
        string row = count == 1 ? $"row {firstRowPosition}"
            : slot >= 0 ? $"row {firstRowPosition + slot}"
            : $"the batch of rows {firstRowPosition}-{firstRowPosition + count - 1}";
        return new InvalidOperationException(
            $"{_transformer.GetType().Name} could not score {row} (input column {columns}): {error.Message}", error);
    }

    private static Array Slice(Array values, int index)
    {
        var one = Array.CreateInstance(values.GetType().GetElementType()!, 1);
        Array.Copy(values, index, one, 0, 1);
        return one;
    }

    internal Delegate InputGetter(int inputColumn, Func<int> slot) => _buffers[inputColumn].GetGetter(slot);

    internal Delegate OutputGetter(OutputColumnSpec spec, Func<int> slot) =>
        OutputValues.GetGetter(spec, () => (_batch ?? throw new InvalidOperationException("No batch has been computed.")).GetOutput(spec.Name), slot);
}
