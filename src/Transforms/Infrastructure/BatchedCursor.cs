using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Transformers.Transforms.Infrastructure;

/// <summary>
/// Pulls a window of rows from the input cursor (BatchSize rows, or <see cref="BatchedTransformerBase.BucketWindowBatches"/>
/// batches when the transformer buckets by length), scores them with one MapBatch call per batch, then serves them one by
/// one in their original order. Input columns pass through from the buffered copies; output columns come from the batches.
/// </summary>
internal sealed class BatchedCursor : DataViewRowCursor
{
    private readonly DataViewRowCursor _input;
    private readonly BatchedTransformerBase _transformer;
    private readonly BatchScorer _scorer;
    private readonly bool[] _active;
    private readonly int _inputCount, _windowSize;
    private readonly ValueGetter<DataViewRowId> _inputIds;
    private readonly DataViewRowId[] _ids;
    private int _slot = -1, _count;
    private long _position = -1;

    internal BatchedCursor(BatchedTransformerBase transformer, DataViewRowCursor input, DataViewSchema outputSchema, bool[] active,
        IEnumerable<int> activePassThrough, HashSet<string> activeOutputs)
    {
        _transformer = transformer;
        _input = input;
        Schema = outputSchema;
        _active = active;
        _inputCount = input.Schema.Count;
        _windowSize = transformer.LengthBucketing ? transformer.BatchSize * BatchedTransformerBase.BucketWindowBatches : transformer.BatchSize;
        var buffered = activeOutputs.Count > 0 ? activePassThrough.Concat(BatchScorer.ModelInputs(transformer, input.Schema)) : activePassThrough;
        _scorer = new BatchScorer(transformer, input, buffered, activeOutputs, _windowSize);
        _inputIds = input.GetIdGetter();
        _ids = new DataViewRowId[_windowSize];
    }

    public override DataViewSchema Schema { get; }
    public override long Position => _position;
    public override long Batch => 0;

    public override bool MoveNext()
    {
        if (_slot + 1 >= _count)
        {
            _count = 0;
            long first = _position + 1;
            while (_count < _windowSize && _input.MoveNext())
            {
                _scorer.Fill(_count);
                _inputIds(ref _ids[_count]);
                _count++;
            }
            _scorer.Complete(_count, first);
            _slot = -1;
            if (_count == 0) return false;
        }
        _slot++;
        _position++;
        return true;
    }

    public override bool IsColumnActive(DataViewSchema.Column column) => _active[column.Index];

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        if (!_active[column.Index]) throw new InvalidOperationException($"Column '{column.Name}' is not active in this cursor.");
        Delegate getter = column.Index < _inputCount
            ? _scorer.InputGetter(column.Index, () => _slot)
            : _scorer.OutputGetter(_transformer.OutputColumns[column.Index - _inputCount], () => _slot);
        return getter as ValueGetter<TValue> ?? throw new InvalidOperationException(
            $"Column '{column.Name}' is of type {column.Type}; it cannot be read as {typeof(TValue).Name}.");
    }

    public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId id) => id = _ids[_slot];

    protected override void Dispose(bool disposing)
    {
        if (disposing) _input.Dispose();
        base.Dispose(disposing);
    }
}
