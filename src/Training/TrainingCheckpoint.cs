using System.Runtime.InteropServices;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Transformers.Training;

/// <summary>Position and bookkeeping of a run, saved with a checkpoint as <c>trainer_state.json</c>.</summary>
internal sealed class LoopState
{
    public int Step { get; set; }
    public int Epoch { get; set; }
    public int BatchInEpoch { get; set; }
    public int TotalSteps { get; set; }
    public List<double> LossHistory { get; set; } = new();
    public List<ValidationRecord> ValidationHistory { get; set; } = new();
    public double? BestValidationLoss { get; set; }
    public int? BestStep { get; set; }
    public int EvaluationsWithoutImprovement { get; set; }
    public bool StoppedEarly { get; set; }
    public Dictionary<string, long> OptimizerSteps { get; set; } = new();
}

/// <summary>
/// Resumable checkpoint of the loop: <c>trainer_state.json</c> (position, histories, early-stopping state) and
/// <c>tensors.bin</c> (fp32 weights, AdamW moments, the best-weights copy, torch's RNG state) in a plain
/// little-endian format: count, then per tensor name, dtype code, rank, shape, byte length, bytes.
/// Model buffers (e.g. running statistics) are not saved: transformer models have none that train.
/// </summary>
internal static class TrainingCheckpoint
{
    private const string StateFile = "trainer_state.json";
    private const string TensorFile = "tensors.bin";

    public static void Save(string directory, LoopState state, AdamW optimizer, IReadOnlyList<Tensor>? best)
    {
        Directory.CreateDirectory(directory);
        state.OptimizerSteps = optimizer.State.ToDictionary(s => s.Name, s => s.Steps);
        var tensors = new List<(string, Tensor)>();
        foreach (var (name, p) in optimizer.Parameters) tensors.Add(("param." + name, p));
        foreach (var (name, m, v, _) in optimizer.State) { tensors.Add(("adam_m." + name, m)); tensors.Add(("adam_v." + name, v)); }
        if (best is not null)
            for (int i = 0; i < best.Count; i++) tensors.Add(("best." + optimizer.Parameters[i].Name, best[i]));
        using var rng = torch.get_rng_state();
        tensors.Add(("torch_rng_state", rng));

        // Write to temporary names then move, so an interrupted save never leaves a half checkpoint.
        string tensorTmp = Path.Combine(directory, TensorFile + ".tmp"), stateTmp = Path.Combine(directory, StateFile + ".tmp");
        WriteTensors(tensorTmp, tensors);
        File.WriteAllText(stateTmp, JsonSerializer.Serialize(state));
        File.Move(tensorTmp, Path.Combine(directory, TensorFile), overwrite: true);
        File.Move(stateTmp, Path.Combine(directory, StateFile), overwrite: true);
    }

    /// <summary>Loads into the optimizer's parameters and moments (and <paramref name="best"/>, allocated if saved); sets torch's RNG.</summary>
    public static LoopState Load(string directory, AdamW optimizer, ref List<Tensor>? best)
    {
        string statePath = Path.Combine(directory, StateFile), tensorPath = Path.Combine(directory, TensorFile);
        if (!File.Exists(statePath) || !File.Exists(tensorPath))
            throw new InvalidOperationException($"'{directory}' is not a training checkpoint: expected {StateFile} and {TensorFile}.");
        var state = JsonSerializer.Deserialize<LoopState>(File.ReadAllText(statePath))
            ?? throw new InvalidOperationException($"{statePath} is empty.");
        var saved = ReadTensors(tensorPath);
        using var noGrad = no_grad();
        void CopyInto(string key, Tensor target)
        {
            if (!saved.TryGetValue(key, out var source))
                throw new InvalidOperationException($"Checkpoint '{directory}' has no tensor '{key}'; was it written for another model?");
            if (!source.shape.SequenceEqual(target.shape))
                throw new InvalidOperationException($"Checkpoint tensor '{key}' has shape [{string.Join(",", source.shape)}], the model has [{string.Join(",", target.shape)}].");
            target.copy_(source);
        }
        foreach (var (name, p) in optimizer.Parameters) CopyInto("param." + name, p);
        foreach (var (name, m, v, _) in optimizer.State)
        {
            CopyInto("adam_m." + name, m); CopyInto("adam_v." + name, v);
            optimizer.SetSteps(name, state.OptimizerSteps.GetValueOrDefault(name));
        }
        if (saved.ContainsKey("best." + optimizer.Parameters[0].Name))
        {
            best ??= optimizer.Parameters.Select(p => zeros_like(p.Parameter).DetachFromDisposeScope()).ToList();
            for (int i = 0; i < best.Count; i++) CopyInto("best." + optimizer.Parameters[i].Name, best[i]);
        }
        torch.set_rng_state(saved["torch_rng_state"]);
        foreach (var t in saved.Values) t.Dispose();
        return state;
    }

    private static void WriteTensors(string path, List<(string Name, Tensor Tensor)> tensors)
    {
        using var writer = new BinaryWriter(File.Create(path));
        writer.Write(tensors.Count);
        foreach (var (name, tensor) in tensors)
        {
            using var scope = NewDisposeScope();
            var cpu = tensor.detach().cpu().contiguous();
            writer.Write(name);
            writer.Write((int)cpu.dtype);
            writer.Write(cpu.shape.Length);
            foreach (var d in cpu.shape) writer.Write(d);
            byte[] bytes = cpu.dtype switch
            {
                ScalarType.Float32 => MemoryMarshal.AsBytes(cpu.data<float>().ToArray().AsSpan()).ToArray(),
                ScalarType.Byte => cpu.data<byte>().ToArray(),
                _ => throw new InvalidOperationException($"Checkpoint tensor '{name}' has unsupported dtype {cpu.dtype}."),
            };
            writer.Write(bytes.Length);
            writer.Write(bytes);
        }
    }

    private static Dictionary<string, Tensor> ReadTensors(string path)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        int count = reader.ReadInt32();
        var result = new Dictionary<string, Tensor>();
        for (int i = 0; i < count; i++)
        {
            string name = reader.ReadString();
            var dtype = (ScalarType)reader.ReadInt32();
            var shape = new long[reader.ReadInt32()];
            for (int d = 0; d < shape.Length; d++) shape[d] = reader.ReadInt64();
            byte[] bytes = reader.ReadBytes(reader.ReadInt32());
            result[name] = dtype switch
            {
                ScalarType.Float32 => torch.tensor(MemoryMarshal.Cast<byte, float>(bytes).ToArray(), shape),
                ScalarType.Byte => torch.tensor(bytes, shape),
                _ => throw new InvalidOperationException($"{path}: tensor '{name}' has unsupported dtype {dtype}."),
            };
        }
        return result;
    }
}
