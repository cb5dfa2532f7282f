using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transformers.Persistence;

namespace MLNet.Transformers.Transforms.Infrastructure;

/// <summary>
/// Base of this library's transformers: a concrete transformer says which columns it reads (<see cref="InputColumns"/>),
/// which it appends (<see cref="OutputColumns"/>), how to compute a batch (<see cref="MapBatch"/>) and what to save
/// (<see cref="SavePayload"/>, loaded back by <see cref="ILoadableTransformer{TSelf}.Load"/>). This class provides lazy
/// batched <see cref="Transform"/>, schema checks, <c>PredictionEngine</c> support and <c>mlContext.Model.Save/Load</c>.
/// </summary>
/// <remarks>
/// <para>Thread safety: one transformer may be used by several cursors or prediction engines at once, so
/// <see cref="MapBatch"/> must not keep per-call state in fields (read-only model weights are fine). Each cursor or
/// <c>PredictionEngine</c> itself is single-threaded.</para>
/// <para>Disposal: <see cref="Dispose"/> waits for forward passes in flight on other threads, then calls
/// <see cref="DisposeModel"/> once; every later <see cref="MapBatch"/> (and every call wrapped in <see cref="UseModel"/>)
/// throws an <see cref="ObjectDisposedException"/> naming the transformer type. A subclass that owns native memory
/// overrides <see cref="DisposeModel"/> (not <see cref="Dispose"/>) and wraps its public entry points that touch the
/// model outside <see cref="MapBatch"/> (e.g. <c>Embed</c>, <c>SaveCheckpoint</c>) in <c>using var use = UseModel();</c>
/// (<c>UseModel</c> and the encode-once bucketing hook <c>EncodeRows</c> are internal: a subclass outside this library keeps
/// <see cref="MapBatch"/>, <see cref="RowLengths"/>, <see cref="SavePayload"/> and <see cref="DisposeModel"/>).</para>
/// </remarks>
public abstract class BatchedTransformerBase : ITransformer, IDisposable
{
    private readonly ModelUseGate _gate;

    /// <summary>Creates the transformer.</summary>
    /// <param name="batchSize">Rows per <see cref="MapBatch"/> call when transforming an <see cref="IDataView"/>.</param>
    protected BatchedTransformerBase(int batchSize)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "Batch size must be at least 1.");
        BatchSize = batchSize;
        _gate = new ModelUseGate(GetType());
    }

    /// <summary>Rows per <see cref="MapBatch"/> call when transforming an <see cref="IDataView"/>.</summary>
    public int BatchSize { get; }

    /// <summary>Columns this transformer reads (names as in the input data).</summary>
    public abstract IReadOnlyList<InputColumnSpec> InputColumns { get; }

    /// <summary>Columns this transformer appends, in this order.</summary>
    public abstract IReadOnlyList<OutputColumnSpec> OutputColumns { get; }

    /// <summary>
    /// Computes every active output column for the rows of <paramref name="batch"/> (see <see cref="RowBatch.IsOutputActive"/>).
    /// Called once per batch by cursors and once per row by <c>PredictionEngine</c>; must not mutate shared state. Run TorchSharp
    /// work inside one dispose scope per call so long cursors do not leak native memory.
    /// </summary>
    protected internal abstract void MapBatch(RowBatch batch);

    /// <summary>
    /// Length bucketing: when true and <see cref="RowLengths"/> is overridden, a cursor reads a window of
    /// <see cref="BucketWindowBatches"/> batches, sorts its rows by length, scores them in batches of similar length (less
    /// padding) and serves the results in the original row order. Off by default; a transformer turns it on from its settings.
    /// </summary>
    protected internal virtual bool LengthBucketing => false;

    /// <summary>Batches per bucketing window: larger windows pad less but read further ahead of the consumer.</summary>
    public const int BucketWindowBatches = 8;

    /// <summary>
    /// The cost key bucketing sorts by, one per row of <paramref name="rows"/> (inputs only; no output is active) — for
    /// text models the token count after truncation. Return null to keep the rows in order (the default).
    /// </summary>
    protected internal virtual int[]? RowLengths(RowBatch rows) => null;

    /// <summary>
    /// Bucketing that encodes once: the rows' encodings and their lengths, for transformers whose <see cref="MapBatch"/>
    /// would otherwise tokenize the rows again; each batch then reads its rows' encodings with <see cref="RowBatch.Encoded{T}"/>
    /// (null when the rows were not bucketed: encode there). Return null (the default) to use <see cref="RowLengths"/>.
    /// </summary>
    internal virtual EncodedRows? EncodeRows(RowBatch rows) => null;

    /// <summary>Writes what <see cref="ILoadableTransformer{TSelf}.Load"/> needs to recreate this transformer.</summary>
    protected abstract void SavePayload(TransformerPayloadWriter writer);

    /// <inheritdoc/>
    public bool IsRowToRowMapper => true;

    /// <summary>
    /// Checks the input columns and returns the input schema with <see cref="OutputColumns"/> appended.
    /// Throws <see cref="ArgumentOutOfRangeException"/> for a missing column, <see cref="ArgumentException"/> for a mistyped one.
    /// </summary>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        foreach (var spec in InputColumns)
        {
            var column = inputSchema.GetColumnOrNull(spec.Name);
            if (column is null)
            {
                if (spec.IsOptional) continue;
                throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Input column '{spec.Name}' not found.");
            }
            if (!spec.Accepts(column.Value.Type))
                throw new ArgumentException($"Input column '{spec.Name}' must be of type {spec.Type}, but is {column.Value.Type}.", nameof(inputSchema));
        }
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(inputSchema);
        foreach (var output in OutputColumns) builder.AddColumn(output.Name, output.Type, output.Annotations);
        return builder.ToSchema();
    }

    /// <inheritdoc/>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => new BatchedRowMapper(this, inputSchema);

    /// <summary>Returns a lazy view: rows are scored in batches of <see cref="BatchSize"/> as a cursor moves.</summary>
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new BatchedDataView(this, input);
    }

    void ICanSaveModel.Save(ModelSaveContext ctx)
    {
        using var use = UseModel();
        ModelPersistence.Save(this, ctx, SavePayload);
    }

    /// <summary>Runs <see cref="MapBatch"/> as one use of the model (what cursors and prediction engines call).</summary>
    internal void MapBatchGuarded(RowBatch batch)
    {
        using var use = UseModel();
        MapBatch(batch);
    }

    /// <summary>
    /// Marks one use of the model until the returned value is disposed: <see cref="Dispose"/> waits for it to end.
    /// Throws <see cref="ObjectDisposedException"/> once the transformer is disposed. Cheap (one lock, no allocation).
    /// </summary>
    private protected ModelUseGate.Use UseModel() => _gate.Enter();

    /// <summary>
    /// Frees what the transformer owns (model weights, native memory). Called exactly once, by <see cref="Dispose"/>, after
    /// every forward pass in flight has finished. The default does nothing.
    /// </summary>
    protected virtual void DisposeModel() { }

    /// <summary>
    /// Waits for forward passes in flight on other threads, then releases the model. Later calls to this transformer
    /// throw <see cref="ObjectDisposedException"/>. A <c>PredictionEngine</c> disposes its transformer when it is disposed
    /// unless created with <c>PredictionEngineOptions.OwnsTransformer = false</c>: do that when engines share one transformer.
    /// Do not call it from inside <see cref="MapBatch"/> (it would wait for itself).
    /// </summary>
    public void Dispose()
    {
        if (_gate.Close()) DisposeModel();
        GC.SuppressFinalize(this);
    }
}
