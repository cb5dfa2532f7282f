using Microsoft.ML;

namespace MLNet.Transformers.Transforms.Infrastructure;

/// <summary>
/// Shared by the lazy cursor and the row mapper: buffers the needed input columns of up to <c>capacity</c> rows (a window
/// of one or more batches) from a source row, runs <see cref="BatchedTransformerBase.MapBatch"/> once per batch of
/// <see cref="BatchedTransformerBase.BatchSize"/> rows — sorted by <see cref="BatchedTransformerBase.RowLengths"/> when
/// the transformer buckets by length — and serves any column of the current slot in the original row order.
/// One instance per cursor/row, so nothing here is shared between threads.
/// </summary>
internal sealed class BatchScorer
{
    private readonly BatchedTransformerBase _transformer;
    private readonly DataViewSchema _inputSchema;
    private readonly Dictionary<int, InputBuffer> _buffers = new();   // by input column index
    private readonly HashSet<string> _activeOutputs;
    private Dictionary<string, Array>? _outputs;   // by output name, one value per window row, in row order

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
    /// Ends a window of <paramref name="count"/> filled rows: runs the model if an output is active. A failure is reported
    /// as an <see cref="InvalidOperationException"/> naming the row (<paramref name="firstRowPosition"/> + its slot) and the
    /// input columns; disposal and cancellation pass through unchanged.
    /// </summary>
    internal void Complete(int count, long firstRowPosition)
    {
        _outputs = null;
        if (!ComputesOutputs || count == 0) return;
        var inputs = new Dictionary<string, Array?>();
        foreach (var spec in _transformer.InputColumns)
        {
            var col = _inputSchema.GetColumnOrNull(spec.Name);
            inputs[spec.Name] = col.HasValue ? _buffers[col.Value.Index].ToClr(count) : null;
        }
        int batchSize = _transformer.BatchSize;
        int[] order = Enumerable.Range(0, count).ToArray();
        Array? encoded = null;   // the window's encodings, when bucketing encoded the rows once
        if (count > batchSize && _transformer.LengthBucketing)
        {
            var window = new RowBatch(count, inputs, _transformer.OutputColumns, []);
            var encodedRows = _transformer.EncodeRows(window);
            if (encodedRows is not null && encodedRows.Encodings.Length != count)
                throw new InvalidOperationException($"EncodeRows returned {encodedRows.Encodings.Length} encodings for {count} rows.");
            encoded = encodedRows?.Encodings;
            if ((encodedRows?.Lengths ?? _transformer.RowLengths(window)) is { } lengths)
            {
                if (lengths.Length != count)
                    throw new InvalidOperationException($"RowLengths returned {lengths.Length} lengths for {count} rows.");
                order = order.OrderBy(i => lengths[i]).ToArray();   // stable: equal lengths keep their order
            }
        }
        var outputs = new Dictionary<string, Array>();
        foreach (int[] rows in order.Chunk(batchSize))
        {
            var batchInputs = inputs.ToDictionary(kv => kv.Key, kv => kv.Value is null ? null : Pick(kv.Value, rows));
            var batch = new RowBatch(rows.Length, batchInputs, _transformer.OutputColumns, _activeOutputs)
            {
                EncodedValues = encoded is null ? null : Pick(encoded, rows),
            };
            try
            {
                _transformer.MapBatchGuarded(batch);
                foreach (string name in _activeOutputs) batch.GetOutput(name);   // fail here, not in a getter, if one is missing
            }
            catch (Exception e) when (e is not (ObjectDisposedException or OperationCanceledException or OutOfMemoryException))
            {
                throw RowError(batchInputs, rows, firstRowPosition, e);
            }
            foreach (string name in _activeOutputs)
            {
                Array values = batch.GetOutput(name);
                Array all = outputs.TryGetValue(name, out var a) ? a : outputs[name] = Array.CreateInstance(values.GetType().GetElementType()!, count);
                for (int i = 0; i < rows.Length; i++) all.SetValue(values.GetValue(i), rows[i]);
            }
        }
        _outputs = outputs;
    }

    // The values of rows [rows] (in that order); the identity selection reuses the array.
    private static Array Pick(Array values, int[] rows)
    {
        if (rows.Length == values.Length && rows.Select((r, i) => r == i).All(x => x)) return values;
        var picked = Array.CreateInstance(values.GetType().GetElementType()!, rows.Length);
        for (int i = 0; i < rows.Length; i++) picked.SetValue(values.GetValue(rows[i]), i);
        return picked;
    }

    // Which row broke the batch: score the rows one at a time (only on failure) and report the first that fails.
    // rows[i] is the window slot of batch row i (bucketing reorders rows), so positions name the rows of the input data.
    private InvalidOperationException RowError(Dictionary<string, Array?> inputs, int[] rows, long firstRowPosition, Exception batchError)
    {
        int failed = -1;
        Exception error = batchError;
        for (int i = 0; i < rows.Length && rows.Length > 1; i++)
        {
            var single = inputs.ToDictionary(kv => kv.Key, kv => kv.Value is null ? null : Slice(kv.Value, i));
            try { _transformer.MapBatchGuarded(new RowBatch(1, single, _transformer.OutputColumns, _activeOutputs)); }
            catch (Exception e) when (e is not (ObjectDisposedException or OperationCanceledException or OutOfMemoryException))
            {
                (failed, error) = (i, e);
                break;
            }
        }
        string columns = string.Join(", ", _transformer.InputColumns.Select(c => $"'{c.Name}'"));
        string row = rows.Length == 1 ? $"row {firstRowPosition + rows[0]}"
            : failed >= 0 ? $"row {firstRowPosition + rows[failed]}"
            : $"a batch of rows {string.Join(", ", rows.Select(r => firstRowPosition + r))}";
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
        OutputValues.GetGetter(spec, () => (_outputs ?? throw new InvalidOperationException("No batch has been computed."))[spec.Name], slot);
}
