using Microsoft.ML;
using Microsoft.ML.Data;

/// <summary>
/// The classic sentence-pair features of two sentence embeddings u and v: [u, v, u⊙v, |u−v|] (Reimers and Gurevych,
/// Sentence-BERT, 2019), so a linear classifier can use how the two sentences relate, not only what each says.
/// </summary>
internal sealed class PairFeatures
{
    public string Label { get; set; } = "";
    public float[] Features { get; set; } = [];

    /// <summary>Reads the "U" and "V" embedding columns and the label of <paramref name="embedded"/> into a new data view.</summary>
    public static IDataView From(MLContext ml, IDataView embedded)
    {
        var rows = ml.Data.CreateEnumerable<EmbeddedPair>(embedded, reuseRowObject: false)
            .Select(r => new PairFeatures
            {
                Label = r.Label,
                Features = [.. r.U, .. r.V, .. r.U.Zip(r.V, (a, b) => a * b), .. r.U.Zip(r.V, (a, b) => Math.Abs(a - b))],
            }).ToList();
        var schema = SchemaDefinition.Create(typeof(PairFeatures));
        schema[nameof(Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, rows[0].Features.Length);
        return ml.Data.LoadFromEnumerable(rows, schema);
    }

    private sealed class EmbeddedPair
    {
        public string Label { get; set; } = "";
        public float[] U { get; set; } = [];
        public float[] V { get; set; } = [];
    }
}
