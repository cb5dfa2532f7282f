using static TorchSharp.torch;

namespace MLNet.Transformers.Models;

/// <summary>Turns the <c>Device</c> string of our options ("cpu", "cuda", "cuda:1") into a TorchSharp device.</summary>
internal static class DeviceName
{
    /// <summary>The device called <paramref name="name"/>; an <see cref="ArgumentException"/> that says what to use otherwise.</summary>
    public static Device Parse(string name)
    {
        try { return new Device(name); }
        catch (Exception e) { throw new ArgumentException($"Device '{name}' is not valid or not available (use \"cpu\", or \"cuda\" with a CUDA TorchSharp package).", nameof(name), e); }
    }
}
