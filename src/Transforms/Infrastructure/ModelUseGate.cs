namespace MLNet.Transformers.Transforms.Infrastructure;

/// <summary>
/// Counts uses of a model in flight so that disposing it waits for them instead of freeing weights under a running
/// forward pass (which crashes the process in native code). A reader/writer gate: uses enter and leave concurrently;
/// <see cref="Close"/> refuses new uses and waits until the count is zero.
/// </summary>
internal sealed class ModelUseGate
{
    private readonly object _lock = new();
    private readonly Type _owner;
    private int _inFlight;
    private bool _closed;

    internal ModelUseGate(Type owner) => _owner = owner;

    /// <summary>Starts a use; throws <see cref="ObjectDisposedException"/> naming the owner once closed.</summary>
    internal Use Enter()
    {
        lock (_lock)
        {
            if (_closed)
                throw new ObjectDisposedException(_owner.FullName,
                    $"This {_owner.Name} has been disposed (a PredictionEngine disposes its transformer unless created with OwnsTransformer = false).");
            _inFlight++;
        }
        return new Use(this);
    }

    private void Exit()
    {
        lock (_lock)
        {
            if (--_inFlight == 0) Monitor.PulseAll(_lock);
        }
    }

    /// <summary>Refuses new uses, waits for those in flight; true the first time (the caller then frees the model).</summary>
    internal bool Close()
    {
        lock (_lock)
        {
            if (_closed) return false;
            _closed = true;
            while (_inFlight > 0) Monitor.Wait(_lock);
            return true;
        }
    }

    /// <summary>One use of the model; dispose it (with <c>using</c>) when the model is no longer touched.</summary>
    public readonly struct Use : IDisposable
    {
        private readonly ModelUseGate? _gate;

        internal Use(ModelUseGate gate) => _gate = gate;

        /// <summary>Ends the use.</summary>
        public void Dispose() => _gate?.Exit();
    }
}
