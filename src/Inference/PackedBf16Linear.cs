using System.IO.Compression;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using MLNet.Transformers.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transformers.Inference;

/// <summary>
/// bf16 scoring's linear layers with their weights reordered once into oneDNN's blocked layout, bias and activation
/// fused into the GEMM. A plain bf16 <c>linear</c> makes oneDNN repack the weight matrix on every call (8% of a
/// BERT-base forward at batch 8 on a 2-core EPYC with AVX512-BF16), adds the bias in a second pass over the output
/// (TorchSharp's linear does, for 3-D input) and runs GELU in a third: the packed call was 15% faster per feed-forward
/// matmul at batch 8 and a third faster at batch 1, GELU almost free. These are libtorch's own inference kernels
/// (<c>mkldnn::_reorder_linear_weight</c>, <c>mkldnn::_linear_pointwise</c>, what <c>torch.compile</c>'s CPU
/// freezing uses); TorchSharp does not bind them, so they are called through a small TorchScript module built here in
/// memory. Only linears that <see cref="ScoringPrecision"/> prepared (inference-only models) are packed, lazily on their
/// first call through <see cref="Call"/>; the packed copy lives beside the linear, outside its state dict (never saved),
/// and is freed with the model's weights (<see cref="ModuleDisposal.DisposeWithWeights"/>) or else by its finalizer.
/// The Hugging Face weights stay as they are, so Save and ONNX export are unchanged — at the cost of a second copy of
/// each packed weight (BERT-base: +163 MB).
/// </summary>
/// <remarks>
/// Used on x64 Linux hosts with fast bf16 only (tested there with the libtorch TorchSharp pins); elsewhere, and for
/// every module not prepared by <see cref="ScoringPrecision"/>, <see cref="Call"/> is the plain <c>linear.call</c>.
/// Results differ from the plain path by bf16 rounding only (the fused activation sees the fp32 accumulator).
/// </remarks>
internal static class PackedBf16Linear
{
    private static readonly ConditionalWeakTable<Linear, Prepared> prepared = new();
    private static readonly Lazy<jit.ScriptModule?> kernels = new(LoadKernels);

    /// <summary>Whether prepared linears run packed; false = the plain path (tests and benchmarks compare both).</summary>
    internal static bool Enabled { get; set; } = true;

    /// <summary>
    /// Whether this process can run the packed kernels: x64 Linux, a CPU with AVX512-BF16 or AMX-BF16, and the TorchSharp
    /// build they were tested with (0.107, libtorch 2.10). The kernels are libtorch-internal ops whose names may change
    /// between releases, and an op TorchScript cannot find ends the process rather than throwing, so a newer TorchSharp
    /// that an application pins takes the plain path until it is tested here.
    /// </summary>
    public static bool Supported => OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64
        && typeof(TorchSharp.torch).Assembly.GetName().Version is { Major: 0, Minor: 107 } && HostPrecision.HasFastBf16;

    /// <summary>
    /// Records that <paramref name="linear"/> (already bf16, inference only) may be packed, and whether its output stays
    /// bf16 (<paramref name="keepBf16Output"/>) or returns to fp32 as <see cref="ScoringPrecision"/>'s hooks would do.
    /// </summary>
    public static void Prepare(Linear linear, bool keepBf16Output)
    {
        if (Supported) prepared.AddOrUpdate(linear, new Prepared(keepBf16Output));
    }

    /// <summary>
    /// <paramref name="linear"/> applied to <paramref name="x"/>, followed by <paramref name="activation"/> (a Hugging
    /// Face <c>hidden_act</c> name, or null): packed and fused when the linear was prepared for bf16 scoring, else
    /// <c>linear.call</c> (hooks included) and <see cref="Activations.Apply"/>.
    /// </summary>
    public static Tensor Call(Linear linear, Tensor x, string? activation = null)
    {
        string? method = activation switch
        {
            null => "linear",
            "gelu" => "linear_gelu",
            "gelu_new" or "gelu_pytorch_tanh" => "linear_gelu_tanh",
            "relu" => "linear_relu",
            _ => null,
        };
        // The packed kernels have no autograd and need a bias: anything else takes the plain path.
        if (!Enabled || method is null || linear.bias is null || is_grad_enabled() || !prepared.TryGetValue(linear, out var state) || kernels.Value is not { } module)
            return activation is null ? linear.call(x) : Activations.Apply(activation, linear.call(x));
        var y = (Tensor)module.invoke(method, x.to(ScalarType.BFloat16), state.Packed(linear, module), linear.bias)!;
        return state.KeepBf16Output ? y : y.to(ScalarType.Float32);
    }

    /// <summary>Frees the packed copies of <paramref name="model"/>'s linears (they are packed again if it is called again).</summary>
    public static void Release(nn.Module model)
    {
        foreach (var module in model.modules())
            if (module is Linear linear && prepared.TryGetValue(linear, out var state)) state.Release();
    }

    /// <summary>The packed weights <paramref name="model"/> holds now (tests).</summary>
    internal static IReadOnlyList<Tensor> PackedWeights(nn.Module model) =>
        model.modules().OfType<Linear>().Select(l => prepared.TryGetValue(l, out var s) ? s.Current : null).OfType<Tensor>().ToList();

    private sealed class Prepared(bool keepBf16Output)
    {
        private Tensor? packed;

        public bool KeepBf16Output { get; } = keepBf16Output;

        public Tensor? Current => packed;

        public void Release()
        {
            lock (this) { packed?.Dispose(); packed = null; }
        }

        public Tensor Packed(Linear linear, jit.ScriptModule module)
        {
            if (packed is not null) return packed;
            lock (this)
            {
                if (packed is not null) return packed;
                using var noGrad = no_grad();
                // Packed for one row: that layout served 128 to 4,096 rows as fast as a layout packed for each.
                return packed = ((Tensor)module.invoke("pack", linear.weight!, 1L)!).DetachFromDisposeScope();
            }
        }
    }

    // A TorchScript archive (zip: pickled module object, its source, constants, version) whose methods call the
    // oneDNN ops; TorchScript source can name any registered op as ops.<namespace>.<op>.
    private static jit.ScriptModule? LoadKernels()
    {
        if (!Supported) return null;
        const string name = "PackedBf16Linear";
        string Linear(string method, string attr, string algorithm) => $"""
              def {method}(self: __torch__.{name}, x: Tensor, w: Tensor, b: Tensor) -> Tensor:
                return ops.mkldnn._linear_pointwise(x, w, b, "{attr}", annotate(List[Optional[number]], []), "{algorithm}")

            """;
        string code = $"""
            class {name}(Module):
              __parameters__ = []
              __buffers__ = []
              training : bool
              def pack(self: __torch__.{name}, w: Tensor, rows: int) -> Tensor:
                return ops.mkldnn._reorder_linear_weight(w, rows)

            """ + Linear("linear", "none", "") + Linear("linear_gelu", "gelu", "none") + Linear("linear_gelu_tanh", "gelu", "tanh") + Linear("linear_relu", "relu", "");
        // pickle protocol 2 of an instance of __torch__.{name} with training = False
        var data = new List<byte> { 0x80, 0x02, (byte)'c' };
        data.AddRange(Encoding.ASCII.GetBytes($"__torch__\n{name}\n"));
        data.AddRange([0x29, 0x81, 0x7d, 0x58, 8, 0, 0, 0]);   // EMPTY_TUPLE NEWOBJ EMPTY_DICT BINUNICODE(8)
        data.AddRange(Encoding.ASCII.GetBytes("training"));
        data.AddRange([0x89, 0x73, 0x62, 0x2e]);                // NEWFALSE SETITEM BUILD STOP
        using var zip = new MemoryStream();
        using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
        {
            void Add(string path, byte[] bytes)
            {
                using var entry = archive.CreateEntry($"archive/{path}", CompressionLevel.NoCompression).Open();
                entry.Write(bytes);
            }
            Add("data.pkl", data.ToArray());
            Add($"code/__torch__.py", Encoding.UTF8.GetBytes(code));
            Add("constants.pkl", [0x80, 0x02, 0x29, 0x2e]);   // an empty tuple
            Add("version", Encoding.ASCII.GetBytes("8\n"));
            Add("byteorder", Encoding.ASCII.GetBytes("little"));
        }
        return jit.load(zip.ToArray());
    }
}
