using MLNet.Transformers.Models;
using MLNet.Transformers.Persistence;
using static TorchSharp.torch;

namespace MLNet.Transformers.Transforms.Infrastructure;

/// <summary>
/// Base of the transformers that own a model loaded from (and savable to) a Hugging Face checkpoint folder: the ML.NET
/// model zip holds the settings as JSON plus the folder <see cref="SaveCheckpoint"/> writes, and loading reads both back
/// (<see cref="LoadPayload{TSelf}"/>). <c>Dispose</c> waits for forward passes in flight, then frees the model's native
/// memory (<see cref="BatchedTransformerBase.DisposeModel"/>); public entry points that touch the model outside
/// <c>MapBatch</c> wrap themselves in <c>using var use = UseModel();</c>.
/// </summary>
/// <typeparam name="TSettings">The transformer's settings record (columns, lengths, labels, device).</typeparam>
public abstract class CheckpointTransformer<TSettings> : BatchedTransformerBase
{
    private const string SettingsItem = "Settings.json";
    private const string CheckpointItem = "Checkpoint";

    /// <summary>Creates the transformer.</summary>
    protected CheckpointTransformer(TSettings settings, int batchSize) : base(batchSize) => Settings = settings;

    /// <summary>The settings this transformer was built with (saved inside the ML.NET model).</summary>
    public TSettings Settings { get; }

    /// <summary>The model whose native memory <see cref="DisposeModel"/> frees.</summary>
    protected abstract nn.Module OwnedModel { get; }

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

    /// <summary>Releases the model's native memory (called once by <c>Dispose</c>, after every forward pass in flight has ended).</summary>
    protected override void DisposeModel() => OwnedModel.DisposeWithWeights();
}
