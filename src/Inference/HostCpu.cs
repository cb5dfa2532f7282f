using System.Runtime.Intrinsics.X86;

namespace MLNet.Transformers.Inference;

/// <summary>
/// What the CPU running this process can do, as far as choosing a precision goes: its model name and its ISA flags,
/// named as Linux's <c>/proc/cpuinfo</c> names them (<c>avx2</c>, <c>avx512f</c>, <c>avx512_bf16</c>, <c>amx_bf16</c>…).
/// Tests build one from a cpuinfo text (<see cref="Parse"/>) to check the choice on hosts they do not run on.
/// </summary>
/// <param name="Model">The CPU's model name ("unknown" when nothing says).</param>
/// <param name="Flags">ISA flags, lower case.</param>
internal sealed record HostCpu(string Model, IReadOnlySet<string> Flags)
{
    /// <summary>The flags a precision choice or a benchmark's ISA line cares about, in the order they are printed.</summary>
    private static readonly string[] RelevantFlags =
        ["avx2", "fma", "avx512f", "avx512bw", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_tile", "amx_bf16", "amx_int8"];

    private static readonly Lazy<HostCpu> Detected = new(Detect);

    /// <summary>The CPU this process runs on (detected once).</summary>
    public static HostCpu Current => Detected.Value;

    /// <summary>
    /// True when libtorch has a fast bf16 GEMM here: AVX512-BF16 (Cooper Lake, Sapphire Rapids, Zen 4+) or AMX-BF16.
    /// Without them libtorch emulates bf16 matmuls by converting element by element — about 1 GFLOP/s against ~95 GFLOP/s
    /// fp32 measured on a 2-core AVX2 EPYC (issue 21) — so bf16 is a slowdown, not a speed-up.
    /// </summary>
    public bool HasFastBf16 => (Flags.Contains("avx512_bf16") && Flags.Contains("avx512f")) || Flags.Contains("amx_bf16");

    /// <summary>True when int8 matmuls have VNNI instructions (AVX512-VNNI or AVX-VNNI).</summary>
    public bool HasVnni => Flags.Contains("avx512_vnni") || Flags.Contains("avx_vnni");

    /// <summary>One line for logs and benchmarks: the model and which relevant ISA extensions are present or absent.</summary>
    public string IsaLine =>
        $"{Model}; {string.Join(' ', RelevantFlags.Select(f => Flags.Contains(f) ? f : "no-" + f))}";

    /// <summary>
    /// Reads a <c>/proc/cpuinfo</c> text: the first processor's <c>model name</c> and <c>flags</c> lines (all cores of a
    /// host report the same ones). A text without a flags line gives an empty flag set (fp32 everywhere).
    /// </summary>
    public static HostCpu Parse(string cpuinfo)
    {
        ArgumentNullException.ThrowIfNull(cpuinfo);
        string? model = null, flags = null;
        foreach (var line in cpuinfo.Split('\n'))
        {
            int colon = line.IndexOf(':');
            if (colon < 0) continue;
            string key = line[..colon].Trim();
            string value = line[(colon + 1)..].Trim();
            if (key == "model name") model ??= value;
            else if (key == "flags") flags ??= value;
            if (model is not null && flags is not null) break;
        }
        return new HostCpu(model ?? "unknown",
            new HashSet<string>((flags ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries), StringComparer.Ordinal));
    }

    // CPUID through System.Runtime.Intrinsics where .NET runs on x86 (it has no class for BF16 or AMX, but X86Base.CpuId
    // reads the bits; Avx512F.IsSupported also says the OS saves the AVX-512 registers). /proc/cpuinfo supplies the model name
    // and is the whole answer elsewhere (e.g. ARM Linux, where we choose fp32).
    private static HostCpu Detect()
    {
        HostCpu fromProc = File.Exists("/proc/cpuinfo") ? TryRead("/proc/cpuinfo") : new HostCpu("unknown", new HashSet<string>());
        if (!X86Base.IsSupported) return fromProc;
        var flags = new HashSet<string>(StringComparer.Ordinal);
        void Add(bool present, string flag) { if (present) flags.Add(flag); }
        Add(Avx2.IsSupported, "avx2");
        Add(Fma.IsSupported, "fma");
        Add(Avx512F.IsSupported, "avx512f");
        Add(Avx512BW.IsSupported, "avx512bw");
        Add(AvxVnni.IsSupported, "avx_vnni");
        var (maxLeaf, _, _, _) = X86Base.CpuId(0, 0);
        if (maxLeaf >= 7)
        {
            var (_, _, ecx7, edx7) = X86Base.CpuId(7, 0);
            var (eax71, _, _, _) = X86Base.CpuId(7, 1);
            Add(Avx512F.IsSupported && (ecx7 & (1 << 11)) != 0, "avx512_vnni");
            Add(Avx512F.IsSupported && (eax71 & (1 << 5)) != 0, "avx512_bf16");
            // AMX also needs the OS to enable tile state; the kernel lists amx_* in cpuinfo only then, so trust it there.
            bool amxOs = !File.Exists("/proc/cpuinfo") || fromProc.Flags.Contains("amx_tile");
            Add(amxOs && (edx7 & (1 << 24)) != 0, "amx_tile");
            Add(amxOs && (edx7 & (1 << 22)) != 0, "amx_bf16");
            Add(amxOs && (edx7 & (1 << 25)) != 0, "amx_int8");
        }
        return new HostCpu(fromProc.Model, flags);
    }

    private static HostCpu TryRead(string path)
    {
        try { return Parse(File.ReadAllText(path)); }
        catch (IOException) { return new HostCpu("unknown", new HashSet<string>()); }
        catch (UnauthorizedAccessException) { return new HostCpu("unknown", new HashSet<string>()); }
    }
}
