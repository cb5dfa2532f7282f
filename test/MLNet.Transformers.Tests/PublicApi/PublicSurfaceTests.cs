using System.Reflection;

namespace MLNet.Transformers.Tests.PublicApi;

/// <summary>
/// The public surface is a decision (README "Public API"), not an accident: every public type is listed in
/// TestData/public-api/public-types.txt, so making a building block public (or dropping an API type) shows up here.
/// </summary>
[TestClass]
public sealed class PublicSurfaceTests
{
    private static readonly string ListPath = Path.Combine(AppContext.BaseDirectory, "TestData", "public-api", "public-types.txt");

    [TestMethod]
    public void PublicTypes_AreExactlyTheDocumentedList()
    {
        var actual = typeof(Precision).Assembly.GetExportedTypes().Select(t => t.FullName!).ToHashSet(StringComparer.Ordinal);
        var expected = File.ReadLines(ListPath).Where(l => l.Length > 0).ToHashSet(StringComparer.Ordinal);

        var added = actual.Except(expected).Order(StringComparer.Ordinal).ToList();
        var removed = expected.Except(actual).Order(StringComparer.Ordinal).ToList();
        Assert.IsTrue(added.Count == 0 && removed.Count == 0,
            $"The public types differ from {ListPath}. Newly public: [{string.Join(", ", added)}]. No longer public: " +
            $"[{string.Join(", ", removed)}]. If intended, update the list (test/MLNet.Transformers.Tests/TestData/public-api) " +
            "and README's \"Public API\" section; otherwise make the type internal.");
    }

    [TestMethod]
    public void NoPublicType_IsNamedLikeMLNetsTransformerVocabulary()
    {
        // A public "Transformer" (DistilBERT's layer stack was one) reads as an ML.NET ITransformer to users.
        var clashing = typeof(Precision).Assembly.GetExportedTypes()
            .Where(t => t.Name is "Transformer" or "TransformerBlock" || (t.Name.EndsWith("Transformer") && !typeof(Microsoft.ML.ITransformer).IsAssignableFrom(t)))
            .Select(t => t.FullName).ToList();
        CollectionAssert.AreEqual(Array.Empty<string>(), clashing, $"Public types named like ML.NET transformers but not ITransformer: {string.Join(", ", clashing)}");
    }
}
