using System.Diagnostics;

namespace MLNet.Transformers.Tests.Persistence;

/// <summary>Runs test/MLNet.Transformers.FreshProcess (a separate process that knows only MLContext and our assemblies), or another helper program.</summary>
internal static class FreshProcessRunner
{
    /// <summary>Runs the probe with <paramref name="arguments"/>; asserts it exits with 0 and returns its output lines.</summary>
    public static string[] Run(params string[] arguments) =>
        RunDll(Path.Combine(AppContext.BaseDirectory, "MLNet.Transformers.FreshProcess.dll"), arguments);

    /// <summary>The main assembly of test project <paramref name="project"/>, built in its own folder beside this one (test/&lt;project&gt;/bin/…).</summary>
    public static string BesideThisProject(string project) =>
        Path.Combine(Path.GetFullPath(AppContext.BaseDirectory.Replace("MLNet.Transformers.Tests", project)), project + ".dll");

    /// <summary>Runs <paramref name="dll"/> with <paramref name="arguments"/> (and <paramref name="environment"/> added); asserts it exits with 0 and returns its output lines.</summary>
    public static string[] RunDll(string dll, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        Assert.IsTrue(File.Exists(dll), $"{dll} was not built");
        // dotnet test exports the host it runs on; fall back to the one on PATH.
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(dll);
        foreach (var a in arguments) start.ArgumentList.Add(a);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.AreEqual(0, process.ExitCode, $"{Path.GetFileName(dll)} failed:\n{stdout}\n{stderr.Result}");
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
    }
}
