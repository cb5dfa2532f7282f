using System.Reflection;
using System.Runtime.ExceptionServices;
using Microsoft.ML;

namespace MLNet.Transformers;

/// <summary>Extension methods on <c>mlContext.Model</c> for loading models that contain this library's transformers.</summary>
public static class ModelLoadCatalog
{
    /// <summary>
    /// Same as <c>mlContext.Model.Load(filePath, out inputSchema)</c>, but a failure surfaces as the exception that explains
    /// it (e.g. "Model entry '…/Payload.Checkpoint' is corrupt: its SHA-256 is …") instead of the
    /// <see cref="TargetInvocationException"/> layers ML.NET's reflection-based loader wraps it in.
    /// </summary>
    /// <param name="catalog">The model operations catalog (<c>mlContext.Model</c>).</param>
    /// <param name="filePath">The model zip written by <c>mlContext.Model.Save</c>.</param>
    /// <param name="inputSchema">The input schema saved with the model.</param>
    public static ITransformer LoadUnwrapped(this ModelOperationsCatalog catalog, string filePath, out DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        try { return catalog.Load(filePath, out inputSchema); }
        catch (TargetInvocationException e) { throw Unwrap(e); }
    }

    /// <summary>As the file overload, reading the model from <paramref name="stream"/>.</summary>
    /// <param name="catalog">The model operations catalog (<c>mlContext.Model</c>).</param>
    /// <param name="stream">A readable, seekable stream holding the model zip.</param>
    /// <param name="inputSchema">The input schema saved with the model.</param>
    public static ITransformer LoadUnwrapped(this ModelOperationsCatalog catalog, Stream stream, out DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        try { return catalog.Load(stream, out inputSchema); }
        catch (TargetInvocationException e) { throw Unwrap(e); }
    }

    private static Exception Unwrap(TargetInvocationException e)
    {
        Exception inner = e;
        while (inner is TargetInvocationException { InnerException: { } next }) inner = next;
        ExceptionDispatchInfo.Throw(inner);
        return inner;   // not reached
    }
}
