namespace MLNet.Transformers.Persistence;
internal static class Probe
{
    internal static Microsoft.ML.VersionInfo V() => new Microsoft.ML.VersionInfo("ABCDEFGH", 1, 1, 1, "x", "y");
}
