using Microsoft.ML;

namespace MLNet.Transformers.Transforms.Infrastructure;

/// <summary>The lazy result of <see cref="BatchedTransformerBase.Transform"/>: nothing is computed until a cursor moves.</summary>
internal sealed class BatchedDataView : IDataView
{
    private readonly BatchedTransformerBase _transformer;
    private readonly IDataView _input;

    internal BatchedDataView(BatchedTransformerBase transformer, IDataView input)
    {
        _transformer = transformer;
        _input = input;
        Schema = transformer.GetOutputSchema(input.Schema);
    }

    public bool CanShuffle => false;
    public DataViewSchema Schema { get; }
    public long? GetRowCount() => _input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        int inputCount = _input.Schema.Count;
        var active = new bool[Schema.Count];
        foreach (var c in columnsNeeded) active[c.Index] = true;
        var activeOutputs = _transformer.OutputColumns.Where((_, i) => active[inputCount + i]).Select(s => s.Name).ToHashSet();
        var passThrough = Enumerable.Range(0, inputCount).Where(i => active[i]).ToList();
        var needed = activeOutputs.Count > 0 ? passThrough.Concat(BatchScorer.ModelInputs(_transformer, _input.Schema)) : passThrough;
        var input = _input.GetRowCursor(needed.Distinct().Select(i => _input.Schema[i]));
        return new BatchedCursor(_transformer, input, Schema, active, passThrough, activeOutputs);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];
}
