using MLNet.Transformers.Inference;

namespace MLNet.Transformers.Tests;

/// <summary>
/// Pins <see cref="Precision.Auto"/> and an unset <c>UseBf16</c> to fp32 for the whole test run (and the processes it starts),
/// so the suite gives the same numbers on every host: parity tests compare with Hugging Face at 1e-4, which only fp32 meets,
/// and Auto would be bf16 on AVX512-BF16/AMX hosts. Tests of Auto itself simulate a host (<c>HostPrecisionTests</c>).
/// </summary>
[TestClass]
public static class PinnedPrecision
{
    [AssemblyInitialize]
    public static void PinFp32(TestContext _) => Environment.SetEnvironmentVariable(HostPrecision.EnvironmentVariable, "fp32");
}
