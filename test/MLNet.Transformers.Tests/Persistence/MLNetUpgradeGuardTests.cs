using System.Reflection;
using Microsoft.ML;
using MLNet.Transformers.FreshProcess;
using MLNet.Transformers.Tests.Infrastructure;

namespace MLNet.Transformers.Tests.Persistence;

/// <summary>
/// src/Persistence compiles against publicized ML.NET internals (build/Publicize.targets). These tests fail first, and
/// say what to re-check, when Microsoft.ML is upgraded.
/// </summary>
[TestClass]
public sealed class MLNetUpgradeGuardTests
{
    private const string Advice =
        "src/Persistence relies on ML.NET internals verified against Microsoft.ML 5.0.1 (ModelSaveContext.SetVersionInfo/SaveBinaryStream/" +
        "SaveNonEmptyString, ModelLoadContext.CheckAtModel/LoadNonEmptyString/TryLoadBinaryStream, VersionInfo's constructor, " +
        "LoadableClassAttribute + SignatureLoadModel with a static Create(IHostEnvironment, ModelLoadContext), SchemaShape.Column's " +
        "constructor, SchemaShape.Create, the IgnoresAccessChecksTo runtime behaviour). After upgrading Microsoft.ML, re-verify each of " +
        "these, run the Persistence tests (save/load twice, fresh process), then update the pinned version here and in Directory.Packages.props.";

    [TestMethod]
    [DataRow("Microsoft.ML.Core")]
    [DataRow("Microsoft.ML.Data")]
    public void MLNetAssemblies_AreTheVersionPersistenceWasVerifiedAgainst(string assemblyName)
    {
        Assembly assembly = Assembly.Load(assemblyName);
        string? informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        Assert.IsNotNull(informational, $"{assemblyName} has no informational version. {Advice}");
        Assert.AreEqual("5.0.1", informational.Split('+')[0], $"{assemblyName} is {informational}, not 5.0.1. {Advice}");
    }

    [TestMethod]
    public void SaveAndLoadThroughMLNetInternals_StillWork()
    {
        using var fixture = new TextStatsFixture();
        var ml = new MLContext(seed: 1);
        var data = ProbeData.Sample(ml);
        var transformer = fixture.Create();
        string path = Path.Combine(Path.GetTempPath(), "mlnet-transformers-guard-" + Guid.NewGuid().ToString("N") + ".zip");
        try
        {
            try
            {
                ml.Model.Save(transformer, data.Schema, path);
                var loaded = ml.Model.Load(path, out _);
                CollectionAssert.AreEqual(ProbeData.Format(transformer.Transform(data)).ToArray(), ProbeData.Format(loaded.Transform(data)).ToArray(), Advice);
            }
            catch (Exception e) when (e is not AssertFailedException)
            {
                Assert.Fail($"Model.Save/Load of a BatchedTransformerBase threw {e.GetType().Name}: {e.Message}\n{Advice}\n{e}");
            }
        }
        finally { File.Delete(path); }
    }

    [TestMethod]
    public void PublicApi_ExposesNoTypeThatIsInternalInMLNet()
    {
        // We compile against publicized ML.NET, so the compiler cannot stop us from exposing an ML.NET-internal type in a
        // public signature; consumers (who see the real ML.NET) would then fail to compile. This checks it instead.
        Type internalType = typeof(MLContext).Assembly.GetType("Microsoft.ML.ModelLoadContext")
            ?? Type.GetType("Microsoft.ML.ModelLoadContext, Microsoft.ML.Core")!;
        Assert.IsTrue(IsMLNetInternal(internalType), "the check itself must recognise an ML.NET-internal type");
        Assert.IsFalse(IsMLNetInternal(typeof(ModelSaveContext)));
        var library = typeof(MLNet.Transformers.Transforms.Infrastructure.BatchedTransformerBase).Assembly;
        var offenders = new List<string>();
        foreach (Type type in library.GetExportedTypes())
        {
            var members = type.GetMembers(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
                .Where(m => m switch
                {
                    MethodBase mb => mb.IsPublic || mb.IsFamily || mb.IsFamilyOrAssembly,
                    FieldInfo f => f.IsPublic || f.IsFamily || f.IsFamilyOrAssembly,
                    _ => false,
                });
            foreach (MemberInfo member in members)
                foreach (Type used in SignatureTypes(member))
                    if (IsMLNetInternal(used)) offenders.Add($"{type.FullName}.{member.Name} uses {used.FullName}");
            foreach (Type used in type.GetInterfaces().Append(type.BaseType).OfType<Type>())
                if (IsMLNetInternal(used)) offenders.Add($"{type.FullName} derives from {used.FullName}");
        }
        Assert.IsEmpty(offenders, string.Join("\n", offenders));
    }

    private static IEnumerable<Type> SignatureTypes(MemberInfo member) => member switch
    {
        MethodInfo m => m.GetParameters().Select(p => p.ParameterType).Append(m.ReturnType),
        ConstructorInfo c => c.GetParameters().Select(p => p.ParameterType),
        FieldInfo f => [f.FieldType],
        _ => [],
    };

    private static bool IsMLNetInternal(Type type)
    {
        while (type.HasElementType) type = type.GetElementType()!;
        if (type.IsGenericType && type.GetGenericArguments().Any(IsMLNetInternal)) return true;
        if (type.IsGenericParameter || !(type.Assembly.GetName().Name ?? "").StartsWith("Microsoft.ML")) return false;
        for (Type? t = type; t is not null; t = t.DeclaringType)
            if (!(t.IsPublic || t.IsNestedPublic)) return true;
        return false;
    }
}
