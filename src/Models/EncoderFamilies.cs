using MLNet.Transformers.Models.Bert;
using MLNet.Transformers.Models.DistilBert;
using MLNet.Transformers.Models.Roberta;

namespace MLNet.Transformers.Models;

/// <summary>
/// The registry of encoder families (HF's <c>CONFIG_MAPPING</c>/<c>MODEL_MAPPING</c>): a checkpoint's family is chosen here
/// from config.json's <c>model_type</c>, a model's from its <see cref="IEncoderModel.ModelType"/>. A new family is its folder
/// (model, checkpoint, an <see cref="EncoderFamily"/>) plus one line in <see cref="All"/>.
/// </summary>
internal static class EncoderFamilies
{
    /// <summary>Every registered family, in the order errors list them.</summary>
    public static IReadOnlyList<EncoderFamily> All { get; } =
    [
        BertFamily.Instance,
        RobertaFamily.Instance,
        DistilBertFamily.Instance,
    ];

    /// <summary>The registered model types.</summary>
    public static IReadOnlyList<string> ModelTypes { get; } = All.Select(f => f.ModelType).ToArray();

    /// <summary>The family of the checkpoint in <paramref name="directory"/> (config.json's model_type).</summary>
    public static EncoderFamily Of(string directory) => Find(EncoderCheckpoint.ReadInfo(directory).ModelType)
        ?? throw new NotSupportedException($"Checkpoint '{directory}' has model_type '{EncoderCheckpoint.ReadInfo(directory).ModelType}'; " +
            $"supported encoder families: {string.Join(", ", ModelTypes)}.");

    /// <summary>The family of a loaded encoder.</summary>
    public static EncoderFamily Of(IEncoderModel model) => All.FirstOrDefault(f => f.Owns(model))
        ?? throw new NotSupportedException($"No encoder family is registered for {model.GetType().Name} (model_type '{model.ModelType}').");

    /// <summary>The family registered for <paramref name="modelType"/>, or null.</summary>
    public static EncoderFamily? Find(string modelType) => All.FirstOrDefault(f => f.ModelType == modelType);
}
