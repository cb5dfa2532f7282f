namespace MLNet.Transformers.Benchmarks;

/// <summary>
/// Peak resident memory of a piece of work on Linux: returns freed heap memory to the OS (glibc <c>malloc_trim</c>), resets
/// the process's high-water mark (writing 5 to /proc/self/clear_refs), runs the work, and reports VmHWM minus the resident
/// size before it — the memory the work itself added (activations, workspaces), not the weights already loaded. ONNX
/// Runtime keeps its arena between runs, so its figure counts only growth beyond what earlier runs reserved.
/// Returns NaN where /proc is unavailable.
/// </summary>
internal static class Memory
{
    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);

    public static double PeakMegabytesAdded(Action action)
    {
        bool linux = File.Exists("/proc/self/clear_refs");
        if (linux) { try { MallocTrim(0); } catch (DllNotFoundException) { } catch (EntryPointNotFoundException) { } }
        if (linux) { try { File.WriteAllText("/proc/self/clear_refs", "5"); } catch (IOException) { linux = false; } catch (UnauthorizedAccessException) { linux = false; } }
        double before = linux ? Status("VmRSS") : double.NaN;
        action();
        return linux ? Status("VmHWM") - before : double.NaN;
    }

    private static double Status(string key) =>
        File.ReadLines("/proc/self/status").Where(l => l.StartsWith(key + ":", StringComparison.Ordinal))
            .Select(l => double.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024).First();
}
