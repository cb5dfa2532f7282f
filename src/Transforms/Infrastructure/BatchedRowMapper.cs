using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNet.Transformers.Transforms.Infrastructure;

/// <summary>
/// Row-at-a-time view of a <see cref="BatchedTransformerBase"/> (what <c>PredictionEngine</c> and transformer chains use):
/// a batch of one row, computed once per input position however many output getters read it.
/// </summary>
internal sealed class BatchedRowMapper : IRowToRowMapper
{
    private readonly BatchedTransformerBase _transformer;

    internal BatchedRowMapper(BatchedTransformerBase transformer, DataViewSchema inputSchema)
    {
        _transformer = transformer;
        InputSchema = inputSchema;
        OutputSchema = transformer.GetOutputSchema(inputSchema);
    }

    public DataViewSchema InputSchema { get; }
    public DataViewSchema OutputSchema { get; }

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns)
    {
        var needed = new HashSet<int>();
        foreach (var c in dependingColumns)
        {
            if (c.Index < InputSchema.Count) needed.Add(c.Index);
            else needed.UnionWith(BatchScorer.ModelInputs(_transformer, InputSchema));
        }
        return needed.Order().Select(i => InputSchema[i]);
    }

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns) =>
        new MappedRow(_transformer, input, OutputSchema, activeColumns);

    private sealed class MappedRow : DataViewRow
    {
        private readonly BatchedTransformerBase _transformer;
        private readonly DataViewRow _input;
        private readonly bool[] _active;
        private readonly BatchScorer _scorer;
        private long _scoredPosition = -1;

        internal MappedRow(BatchedTransformerBase transformer, DataViewRow input, DataViewSchema schema, IEnumerable<DataViewSchema.Column> activeColumns)
        {
            _transformer = transformer;
            _input = input;
            Schema = schema;
            _active = new bool[schema.Count];
            foreach (var c in activeColumns) _active[c.Index] = true;
            var activeOutputs = transformer.OutputColumns.Where((_, i) => _active[input.Schema.Count + i]).Select(s => s.Name).ToHashSet();
            var modelInputs = activeOutputs.Count > 0 ? BatchScorer.ModelInputs(transformer, input.Schema) : [];
            _scorer = new BatchScorer(transformer, input, modelInputs, activeOutputs, capacity: 1);
        }

        public override DataViewSchema Schema { get; }
        public override long Position => _input.Position;
        public override long Batch => _input.Batch;
        public override ValueGetter<DataViewRowId> GetIdGetter() => _input.GetIdGetter();
        public override bool IsColumnActive(DataViewSchema.Column column) => _active[column.Index];

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (!_active[column.Index]) throw new InvalidOperationException($"Column '{column.Name}' is not active in this row.");
            int inputCount = _input.Schema.Count;
            if (column.Index < inputCount) return _input.GetGetter<TValue>(_input.Schema[column.Index]);
            var output = _scorer.OutputGetter(_transformer.OutputColumns[column.Index - inputCount], () => 0) as ValueGetter<TValue>
                ?? throw new InvalidOperationException($"Column '{column.Name}' is of type {column.Type}; it cannot be read as {typeof(TValue).Name}.");
            return (ref TValue dst) =>
            {
                if (_scoredPosition != _input.Position || _input.Position < 0)
                {
                    _scorer.Fill(0);
                    _scorer.Complete(1, _input.Position);
                    _scoredPosition = _input.Position;
                }
                output(ref dst);
            };
        }
    }
}
