using MLNet.Transformers.Inference;

namespace MLNet.Transformers.Tests.Inference;

/// <summary>Excerpts of real <c>/proc/cpuinfo</c> texts of the two host kinds issue 21 measured on, and an AMX host.</summary>
internal static class HostCpuFixtures
{
    // AMD EPYC (Zen 3), 2 cores: AVX2 only — no AVX-512, no BF16, no VNNI.
    public const string Avx2Only = """
        processor	: 0
        vendor_id	: AuthenticAMD
        cpu family	: 25
        model name	: AMD EPYC 7B13
        flags		: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ht syscall nx mmxext fxsr_opt pdpe1gb rdtscp lm constant_tsc rep_good nopl nonstop_tsc cpuid extd_apicid tsc_known_freq pni pclmulqdq ssse3 fma cx16 sse4_1 sse4_2 x2apic movbe popcnt aes xsave avx f16c rdrand hypervisor lahf_lm cmp_legacy cr8_legacy abm sse4a misalignsse 3dnowprefetch osvw topoext fsgsbase bmi1 avx2 smep bmi2 erms invpcid rdseed adx smap clflushopt clwb sha_ni xsaveopt xsavec xgetbv1 clzero xsaveerptr arat npt nrip_save umip vaes vpclmulqdq rdpid fsrm

        processor	: 1
        model name	: AMD EPYC 7B13
        flags		: fpu avx2
        """;

    // AMD EPYC (Zen 4), as this project's development host: AVX-512 with BF16 and VNNI, no AMX.
    public const string Avx512Bf16 = """
        processor	: 0
        vendor_id	: AuthenticAMD
        model name	: AMD EPYC 9B14
        flags		: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ht syscall nx mmxext fxsr_opt pdpe1gb rdtscp lm constant_tsc rep_good nopl pni pclmulqdq ssse3 fma cx16 sse4_1 sse4_2 x2apic movbe popcnt aes xsave avx f16c rdrand hypervisor lahf_lm bmi1 avx2 smep bmi2 erms invpcid avx512f avx512dq adx smap avx512ifma clflushopt clwb avx512cd sha_ni avx512bw avx512vl xsaveopt xsavec xgetbv1 xsaves avx_vnni avx512_bf16 clzero xsaveerptr arat avx512vbmi umip avx512_vbmi2 gfni vaes vpclmulqdq avx512_vnni avx512_bitalg avx512_vpopcntdq rdpid fsrm avx512_vp2intersect
        """;

    // Intel Sapphire Rapids: AMX tiles with bf16 and int8.
    public const string Amx = """
        processor	: 0
        vendor_id	: GenuineIntel
        model name	: Intel(R) Xeon(R) Platinum 8481C CPU @ 2.70GHz
        flags		: fpu sse sse2 ssse3 sse4_1 sse4_2 avx avx2 fma avx512f avx512dq avx512bw avx512vl avx512_vnni avx512_bf16 avx_vnni amx_bf16 amx_tile amx_int8
        """;

    public static HostCpu Avx2Host => HostCpu.Parse(Avx2Only);
    public static HostCpu Bf16Host => HostCpu.Parse(Avx512Bf16);
}
