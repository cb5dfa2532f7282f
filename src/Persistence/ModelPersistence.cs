using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Runtime;
using MLNet.Transformers.Persistence;
using MLNet.Transformers.Transforms.Infrastructure;

// The one LoadableClass of this library. ML.NET finds it in a fresh process because the model header records the
// loader assembly name (VersionInfo below) and ML.NET registers that assembly in its ComponentCatalog before looking
// the loader signature up. The concrete transformer type is recorded in the payload and created by Create below.
[assembly: LoadableClass(typeof(BatchedTransformerBase), typeof(ModelPersistence), null, typeof(SignatureLoadModel),
    "MLNet.Transformers transformer", ModelPersistence.LoaderSignature)]

namespace MLNet.Transformers.Persistence;

/// <summary>
/// Saves and loads every <see cref="BatchedTransformerBase"/> through ML.NET's own model format (ML.NET internals:
/// ModelSaveContext/ModelLoadContext/VersionInfo; see README.md in this folder).
/// Layout of a saved transformer: the main stream holds the header and the concrete type's name; each payload item is
/// its own binary stream next to it (see <see cref="TransformerPayloadWriter"/>).
/// </summary>
internal static class ModelPersistence
{
    internal const string LoaderSignature = "MLNetTransformer";
    private const string ModelSignature = "MLNTXFMR";   // exactly 8 ASCII characters (stored as a ulong)
    private const uint Version = 0x00010002;                // adds PayloadChecksums.json (SHA-256 of every payload item)
    private const uint FirstVersionWithChecksums = 0x00010002;
    private const uint OldestReadable = 0x00010001;

    private static VersionInfo GetVersionInfo() => new(
        modelSignature: ModelSignature,
        verWrittenCur: Version,
        verReadableCur: OldestReadable,                       // readers of 0x00010001 ignore the checksums and still load it
        verWeCanReadBack: OldestReadable,
        loaderSignature: LoaderSignature,
        loaderAssemblyName: typeof(ModelPersistence).Assembly.FullName);

    internal static void Save(BatchedTransformerBase transformer, ModelSaveContext ctx, Action<TransformerPayloadWriter> savePayload)
    {
        Type type = transformer.GetType();
        if (FindLoadableInterface(type) is null)
            throw new InvalidOperationException(
                $"{type.FullName} cannot be saved: it must implement ILoadableTransformer<{type.Name}> so Model.Load can recreate it.");
        ctx.CheckAtModel();
        ctx.SetVersionInfo(GetVersionInfo());
        // Type name without version so a model saved by one release of the defining assembly loads with the next.
        ctx.SaveNonEmptyString($"{type.FullName}, {type.Assembly.GetName().Name}");
        var writer = new TransformerPayloadWriter(ctx);
        savePayload(writer);
        writer.WriteChecksums();
    }

    /// <summary>Called by ML.NET's ComponentCatalog (SignatureLoadModel): the name and parameters are its convention.</summary>
    private static BatchedTransformerBase Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        ctx.CheckAtModel(GetVersionInfo());
        string typeName = ctx.LoadNonEmptyString();
        Type type = ResolveType(typeName);
        Type loadable = FindLoadableInterface(type)
            ?? throw new InvalidOperationException($"The saved transformer type '{typeName}' does not implement ILoadableTransformer<T>.");
        var load = typeof(ModelPersistence).GetMethod(nameof(LoadTyped), BindingFlags.NonPublic | BindingFlags.Static)!
            .MakeGenericMethod(type);
        try
        {
            var payload = new TransformerPayloadReader(ctx, requireChecksums: ctx.Header.ModelVerWritten >= FirstVersionWithChecksums);
            return (BatchedTransformerBase)load.Invoke(null, [env, payload])!;
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException);
            throw;
        }
    }

    private static TSelf LoadTyped<TSelf>(IHostEnvironment env, TransformerPayloadReader payload)
        where TSelf : BatchedTransformerBase, ILoadableTransformer<TSelf>
        => TSelf.Load(env, payload);

    private static Type? FindLoadableInterface(Type type) =>
        type.GetInterfaces().FirstOrDefault(i => i.IsGenericType
            && i.GetGenericTypeDefinition() == typeof(ILoadableTransformer<>) && i.GetGenericArguments()[0] == type);

    // Only subclasses of BatchedTransformerBase are ever created from a name found in a model file.
    private static Type ResolveType(string typeName)
    {
        int comma = typeName.IndexOf(',');
        string fullName = typeName[..comma].Trim(), assemblyName = typeName[(comma + 1)..].Trim();
        Assembly? assembly = AppDomain.CurrentDomain.GetAssemblies().FirstOrDefault(a => a.GetName().Name == assemblyName);
        try { assembly ??= Assembly.Load(new AssemblyName(assemblyName)); }
        catch (Exception e) when (e is FileNotFoundException or FileLoadException)
        {
            throw new InvalidOperationException(
                $"The model needs assembly '{assemblyName}' (for transformer '{fullName}'), which could not be loaded. Reference it from the application that loads the model.", e);
        }
        Type type = assembly.GetType(fullName)
            ?? throw new InvalidOperationException($"Transformer type '{fullName}' was not found in assembly '{assemblyName}'.");
        if (!typeof(BatchedTransformerBase).IsAssignableFrom(type) || type.IsAbstract)
            throw new InvalidOperationException($"Type '{fullName}' recorded in the model is not a concrete BatchedTransformerBase.");
        return type;
    }
}
