using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace MLNet.Transformers.Persistence;

/// <summary>The remaining small uses of ML.NET internals outside saving and loading.</summary>
internal static class MLNetInternals
{
    /// <summary>SchemaShape.Column's constructor is internal; estimators need it for GetOutputSchema(SchemaShape).</summary>
    internal static SchemaShape.Column NewSchemaShapeColumn(string name, SchemaShape.Column.VectorKind kind, DataViewType itemType, bool isKey,
        SchemaShape? annotations = null) =>
        new(name, kind, itemType, isKey, annotations);

    /// <summary>SchemaShape.Create is internal; it is what ML.NET's own estimator chains use.</summary>
    internal static SchemaShape SchemaShapeOf(DataViewSchema schema) => SchemaShape.Create(schema);

    /// <summary>The environment behind a catalog such as <c>mlContext.Transforms.Text</c> (internal in ML.NET).</summary>
    internal static IHostEnvironment GetEnvironment(TransformsCatalog.TextTransforms catalog) => catalog.GetEnvironment();

    /// <summary>The environment behind a trainers catalog such as <c>mlContext.MulticlassClassification.Trainers</c>.</summary>
    internal static IHostEnvironment GetEnvironment(TrainCatalogBase.CatalogInstantiatorBase catalog) => catalog.GetEnvironment();

    /// <summary>The environment behind <c>mlContext.Transforms</c>.</summary>
    internal static IHostEnvironment GetEnvironment(TransformsCatalog catalog) => catalog.GetEnvironment();

    /// <summary>The seed an MLContext was created with (null when none); IHostEnvironmentInternal is internal in ML.NET.</summary>
    internal static int? GetSeed(IHostEnvironment env) => (env as IHostEnvironmentInternal)?.Seed;
}
