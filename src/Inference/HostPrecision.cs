namespace MLNet.Transformers.Inference;

/// <summary>
/// Resolves <see cref="Precision.Auto"/> (scoring) and a null <c>TrainerOptions.UseBf16</c> (training) for this process:
/// bf16 where the CPU has AVX512-BF16 or AMX-BF16, fp32 elsewhere — libtorch has no fast bf16 GEMM without them (about
/// 1 GFLOP/s against ~95 GFLOP/s fp32 on a 2-core AVX2 EPYC, issue 21). Where Auto is fp32, the transformers that can run
/// their exported graph in ONNX Runtime (<c>TransformerEmbedding</c>, <c>TextClassification</c>, cross-encoder
/// <c>SentenceSimilarity</c>) score fp32 through ONNX Runtime, which beat libtorch fp32 there (libtorch ran at 0.65-0.90×);
/// the others score in libtorch fp32. The environment variable <see cref="EnvironmentVariable"/> overrides what Auto means:
/// <c>fp32</c> (libtorch fp32 everywhere), <c>onnx-fp32</c> (fp32 through ONNX Runtime where offered, libtorch fp32
/// elsewhere), <c>bf16</c> or <c>auto</c> (the host rule); an explicit <see cref="Precision.Float32"/> (always libtorch) /
/// <see cref="Precision.BFloat16"/> or <c>UseBf16 = true/false</c> in code always wins over both.
/// </summary>
public static class HostPrecision
{
    /// <summary>The environment variable that decides what <see cref="Precision.Auto"/> means: fp32, onnx-fp32, bf16 or auto.</summary>
    public const string EnvironmentVariable = "MLNET_TRANSFORMERS_PRECISION";

    private static Simulation? simulated;

    /// <summary>
    /// The precision a transformer set to <paramref name="precision"/> scores in on this host: <see cref="Precision.Auto"/>
    /// becomes <see cref="Precision.Float32"/> (in libtorch or, where the transformer offers it, ONNX Runtime) or
    /// <see cref="Precision.BFloat16"/>; the others are returned unchanged.
    /// </summary>
    /// <exception cref="InvalidOperationException">When <see cref="EnvironmentVariable"/> holds something other than fp32, onnx-fp32, bf16 or auto.</exception>
    public static Precision Resolve(Precision precision) =>
        precision == Precision.Auto ? Choose(Host, Setting).Precision : precision;

    /// <summary>
    /// Whether training with <paramref name="useBf16"/> (<c>TrainerOptions.UseBf16</c>; null = auto) runs bf16 mixed
    /// precision on this host. <paramref name="warn"/> is told when bf16 is used on a CPU without a fast bf16 GEMM, with
    /// the reason; <paramref name="log"/> is told what null resolved to.
    /// </summary>
    public static bool ResolveUseBf16(bool? useBf16, Action<string>? warn = null, Action<string>? log = null)
    {
        var host = Host;
        bool bf16;
        if (useBf16 is bool explicitChoice) bf16 = explicitChoice;
        else
        {
            var (precision, _, reason) = Choose(host, Setting);
            bf16 = precision == Precision.BFloat16;
            log?.Invoke($"UseBf16 is unset (auto): training in {(bf16 ? "bf16 mixed precision" : "fp32")} because {reason}.");
        }
        if (bf16 && !host.HasFastBf16)
            warn?.Invoke(useBf16 is null
                ? SlowBf16Warning(host, $"{EnvironmentVariable}=bf16 with UseBf16 unset", $"Unset {EnvironmentVariable} or set it to auto.")
                : SlowBf16Warning(host, "UseBf16 = true", "Leave UseBf16 unset (auto) or set it to false."));
        return bf16;
    }

    /// <summary>This host's CPU model and the ISA flags that matter for precision (e.g. "AMD EPYC 7B13; avx2 fma no-avx512f …").</summary>
    public static string CpuDescription => Host.IsaLine;

    /// <summary>Whether this CPU has a fast bf16 GEMM (AVX512-BF16 or AMX-BF16), whatever the environment variable says.</summary>
    public static bool HasFastBf16 => Host.HasFastBf16;

    /// <summary>One line for logs and benchmarks: the CPU, its relevant ISA flags and which engine and precision Auto picks here, and why.</summary>
    public static string Describe()
    {
        var host = Host;
        var (precision, onnxRuntime, reason) = Choose(host, Setting);
        string engine = onnxRuntime
            ? "Float32 through ONNX Runtime for TransformerEmbedding, TextClassification and cross-encoder SentenceSimilarity, libtorch Float32 for the others"
            : $"libtorch {precision}";
        return $"{host.IsaLine} → Auto = {engine} ({reason})";
    }

    /// <summary>Whether <see cref="Precision.Auto"/> runs fp32 through ONNX Runtime on this host, in the transformers that offer it.</summary>
    internal static bool AutoRunsOnnxRuntime => Choose(Host, Setting).OnnxRuntime;

    /// <summary>
    /// The host rule with its reason, for a given host and value of <see cref="EnvironmentVariable"/> (null = unset):
    /// the precision Auto means, and whether the transformers with an ONNX Runtime engine run it there (always fp32).
    /// </summary>
    internal static (Precision Precision, bool OnnxRuntime, string Reason) Choose(HostCpu host, string? setting)
    {
        switch (setting?.Trim().ToLowerInvariant())
        {
            case null or "" or "auto": break;
            case "fp32" or "float32": return (Precision.Float32, false, $"{EnvironmentVariable}={setting}");
            case "onnx-fp32": return (Precision.Float32, true, $"{EnvironmentVariable}={setting}");
            case "bf16" or "bfloat16": return (Precision.BFloat16, false, $"{EnvironmentVariable}={setting}");
            default:
                throw new InvalidOperationException(
                    $"The environment variable {EnvironmentVariable} is '{setting}'; set it to fp32, onnx-fp32, bf16 or auto, or unset it.");
        }
        if (host.Flags.Contains("amx_bf16")) return (Precision.BFloat16, false, "the CPU has AMX-BF16");
        if (host.HasFastBf16) return (Precision.BFloat16, false, "the CPU has AVX512-BF16");
        return (Precision.Float32, true, "the CPU has no AVX512-BF16 or AMX-BF16, where libtorch's bf16 matmuls are emulated and slow, "
            + "and ONNX Runtime's fp32 beat libtorch's there (issue 21)");
    }

    /// <summary>The warning for bf16 chosen explicitly on a CPU without a fast bf16 GEMM.</summary>
    internal static string SlowBf16Warning(HostCpu host, string chosenBy, string advice) =>
        $"{chosenBy} on a CPU without AVX512-BF16 or AMX-BF16 ({host.Model}): libtorch emulates bf16 GEMM here "
        + $"(about 1 GFLOP/s against ~95 GFLOP/s fp32 measured on a 2-core AVX2 EPYC), so training runs many times slower than in fp32. {advice}";

    /// <summary>
    /// Makes this process behave as if it ran on <paramref name="host"/> with <see cref="EnvironmentVariable"/> set to
    /// <paramref name="setting"/> (null = unset) until the result is disposed. For tests; the process's choice is global.
    /// </summary>
    internal static IDisposable Simulate(HostCpu host, string? setting = null)
    {
        var previous = simulated;
        simulated = new Simulation(host, setting);
        return new Restore(() => simulated = previous);
    }

    internal static HostCpu Host => simulated?.Host ?? HostCpu.Current;

    private static string? Setting => simulated is { } s ? s.Setting : Environment.GetEnvironmentVariable(EnvironmentVariable);

    private sealed record Simulation(HostCpu Host, string? Setting);

    private sealed class Restore(Action restore) : IDisposable
    {
        public void Dispose() => restore();
    }
}
