using static TorchSharp.torch;

namespace MLNet.Transformers.Models;

/// <summary>Builds and frees modules so that their native memory is released now rather than at some later garbage collection.</summary>
internal static class ModuleDisposal
{
    /// <summary>
    /// Creates a module and runs <paramref name="load"/> on it (initialise, copy weights) inside a dispose scope that keeps
    /// only its parameters and buffers, so temporaries of initialisation and loading are freed at once. If <paramref name="load"/> throws, the module is disposed with
    /// its weights before the exception propagates, so a failed load leaks nothing.
    /// </summary>
    public static T Build<T>(Func<T> create, Action<T>? load = null) where T : nn.Module
    {
        T? module = null;
        using var scope = NewDisposeScope();
        try
        {
            module = create();
            load?.Invoke(module);
            foreach (var (_, parameter) in module.named_parameters()) parameter.DetachFromDisposeScope();
            foreach (var (_, buffer) in module.named_buffers()) buffer.DetachFromDisposeScope();
            return module;
        }
        catch
        {
            module?.DisposeWithWeights();
            throw;
        }
    }

    /// <summary>
    /// Disposes every parameter and buffer, then the module. TorchSharp's <c>Module.Dispose</c> releases the module's own
    /// handle but leaves its parameter tensors to their finalizers, which a process that allocates little managed memory
    /// may not run for a long time.
    /// </summary>
    public static void DisposeWithWeights(this nn.Module module)
    {
        foreach (var (_, parameter) in module.named_parameters()) parameter.Dispose();
        foreach (var (_, buffer) in module.named_buffers()) buffer.Dispose();
        Inference.PackedBf16Linear.Release(module);   // bf16 scoring's packed copies of the linear weights
        module.Dispose();
    }
}
