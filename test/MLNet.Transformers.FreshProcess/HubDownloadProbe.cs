namespace MLNet.Transformers.FreshProcess;

/// <summary>
/// "--hub-download ENDPOINT CACHE REPO": downloads REPO from ENDPOINT into CACHE and prints the snapshot folder, so a test
/// can run a second download of the same repository in another process at the same time as its own.
/// </summary>
public static class HubDownloadProbe
{
    public static bool TryRun(string[] args, out int exitCode)
    {
        exitCode = -1;
        if (args is not ["--hub-download", var endpoint, var cache, var repo]) return false;
        Console.WriteLine(HuggingFaceHub.Download(new HubOptions { Endpoint = endpoint, CacheDirectory = cache }, repo));
        exitCode = 0;
        return true;
    }
}
