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
    /// <summary>
    /// The Microsoft.ML versions src/Persistence was verified on: the suite passed on each, and the consumer projects
    /// (test/MLNet.Transformers.Consumer.MLNet5 / .MLNet6) ran save/load, PredictionEngine and CrossValidate on the two ends.
    /// Directory.Packages.props' MicrosoftMLRange must not admit a version outside this list's majors.
    /// </summary>
    internal static readonly string[] VerifiedVersions = ["5.0.1", "6.0.0"];

    private const string Advice =
        "src/Persistence relies on ML.NET internals verified against Microsoft.ML 5.0.1 and 6.0.0 (ModelSaveContext.SetVersionInfo/SaveBinaryStream/" +
        "SaveNonEmptyString, ModelLoadContext.CheckAtModel/LoadNonEmptyString/TryLoadBinaryStream, VersionInfo's constructor, " +
        "LoadableClassAttribute + SignatureLoadModel with a static Create(IHostEnvironment, ModelLoadContext), SchemaShape.Column's " +
        "constructor, SchemaShape.Create, the catalogs' IInternalCatalog.Environment, IHostEnvironmentInternal.Seed, the IgnoresAccessChecksTo " +
        "runtime behaviour). After upgrading Microsoft.ML, re-verify each of these, run the Persistence tests (save/load twice, fresh process) " +
        "and the consumer projects, then add the version to VerifiedVersions here and widen MicrosoftMLRange in Directory.Packages.props.";

    [TestMethod]
    [DataRow("Microsoft.ML.Core")]
    [DataRow("Microsoft.ML.Data")]
    public void MLNetAssemblies_AreAVersionPersistenceWasVerifiedOn(string assemblyName)
    {
        Assembly assembly = Assembly.Load(assemblyName);
        string? informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        Assert.IsNotNull(informational, $"{assemblyName} has no informational version. {Advice}");
        string version = informational.Split('+')[0];
        CollectionAssert.Contains(VerifiedVersions, version, $"{assemblyName} is {informational}, not one of {string.Join(", ", VerifiedVersions)}. {Advice}");
    }

    [TestMethod]
    public void DeclaredRange_AdmitsEveryVerifiedVersionAndNoUntestedMajor()
    {
        var library = typeof(MLNet.Transformers.Transforms.Infrastructure.BatchedTransformerBase).Assembly;
        string? range = library.GetCustomAttributes<AssemblyMetadataAttribute>().SingleOrDefault(a => a.Key == "MicrosoftMLRange")?.Value;
        Assert.IsNotNull(range, "src/MLNet.Transformers.csproj records MicrosoftMLRange as assembly metadata");
        var match = System.Text.RegularExpressions.Regex.Match(range, @"^\[\s*([0-9.]+)\s*,\s*([0-9.]+)\s*\)$");
        Assert.IsTrue(match.Success, $"MicrosoftMLRange '{range}' is not of the form [floor, ceiling)");
        var (floor, ceiling) = (Version.Parse(match.Groups[1].Value), Version.Parse(match.Groups[2].Value));
        var verified = VerifiedVersions.Select(Version.Parse).ToArray();
        foreach (var v in verified)
            Assert.IsTrue(v >= floor && v < ceiling, $"verified Microsoft.ML {v} is outside the declared range {range}");
        Assert.AreEqual(floor, verified.Min(), $"the range's floor {floor} is the oldest verified version");
        Assert.IsTrue(ceiling <= new Version(verified.Max(v => v.Major) + 1, 0),
            $"MicrosoftMLRange {range} admits a major version after {verified.Max()} that src/Persistence was never verified on. {Advice}");
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
