using MLNet.Transformers.Persistence;
using static TorchSharp.torch;

namespace MLNet.Transformers.Transforms.Infrastructure;

/// <summary>
/// Base of the transformers that own a model loaded from (and savable to) a Hugging Face checkpoint folder: the ML.NET
/// model zip holds the settings as JSON plus the folder <see cref="SaveCheckpoint"/> writes, and loading reads both back
/// (<see cref="LoadPayload{TSelf}"/>). <see cref="Dispose"/> frees the model's native memory.
/// </summary>
/// <typeparam name="TSettings">The transformer's settings record (columns, lengths, labels, device).</typeparam>
public abstract class CheckpointTransformer<TSettings> : BatchedTransformerBase, IDisposable
{
    private const string SettingsItem = "Settings.json";
    private const string CheckpointItem = "Checkpoint";

    /// <summary>Creates the transformer.</summary>
    protected CheckpointTransformer(TSettings settings, int batchSize) : base(batchSize) => Settings = settings;

    /// <summary>The settings this transformer was built with (saved inside the ML.NET model).</summary>
    public TSettings Settings { get; }

    /// <summary>The model whose native memory <see cref="Dispose"/> frees.</summary>
    protected abstract nn.Module Model { get; }

    /// <summary>Writes the model and its tokenizer in Hugging Face layout (loadable by HF and by this library).</summary>
    public abstract void SaveCheckpoint(string directory);

    /// <inheritdoc/>
    protected sealed override void SavePayload(TransformerPayloadWriter writer)
    {
        writer.WriteJson(SettingsItem, Settings);
        writer.WriteDirectory(CheckpointItem, SaveCheckpoint);
    }

    /// <summary>The dual of <see cref="SavePayload"/>: reads the settings, restores the checkpoint folder and calls <paramref name="create"/>.</summary>
    protected static TSelf LoadPayload<TSelf>(TransformerPayloadReader payload, Func<TSettings, string, TSelf> create)
    {
        var settings = payload.ReadJson<TSettings>(SettingsItem);
        using var checkpoint = payload.RestoreDirectory(CheckpointItem);
        return create(settings, checkpoint.Path);
    }

    /// <summary>Releases the model's native memory.</summary>
    public void Dispose()
    {
        Model.Dispose();
        GC.SuppressFinalize(this);
    }
}
