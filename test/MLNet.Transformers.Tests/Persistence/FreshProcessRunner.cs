using System.Diagnostics;

namespace MLNet.Transformers.Tests.Persistence;

/// <summary>Runs test/MLNet.Transformers.FreshProcess (a separate process that knows only MLContext and our assemblies).</summary>
internal static class FreshProcessRunner
{
    /// <summary>Runs the probe with <paramref name="arguments"/>; asserts it exits with 0 and returns its output lines.</summary>
    public static string[] Run(params string[] arguments)
    {
        // dotnet test exports the host it runs on; fall back to the one on PATH.
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "MLNet.Transformers.FreshProcess.dll"));
        foreach (var a in arguments) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.AreEqual(0, process.ExitCode, $"fresh process failed:\n{stdout}\n{stderr.Result}");
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
    }
}
