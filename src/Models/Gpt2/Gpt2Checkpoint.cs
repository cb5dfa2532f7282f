using MLNet.Transformers.Checkpoints;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.Gpt2;

/// <summary>
/// Loads and saves GPT-2 in Hugging Face layout (<c>config.json</c> + <c>model.safetensors</c>), strictly: every weight the
/// model needs must be in the file and every tensor in the file must be used, except the real-world variants:
/// keys with or without <c>transformer.</c> (the hub's original <c>gpt2</c> has none), the old causal-mask buffers
/// <c>h.{i}.attn.bias</c> / <c>attn.masked_bias</c> (ignored), an explicit <c>lm_head.weight</c> next to a tied head
/// (ignored: HF ties it to <c>wte</c>), and f16/bf16 storage (converted to float32).
/// </summary>
internal static class Gpt2Checkpoint
{
    /// <summary>Reads and validates <c>config.json</c>; a checkpoint of another family gets an error naming its model_type.</summary>
    public static Gpt2Config ReadConfig(string directory)
    {
        var path = Path.Combine(directory, "config.json");
        var config = ConfigFile.Load<Gpt2Config>(path);
        if (config.ModelType != "gpt2")
            throw new ArgumentException($"{path}: model_type is '{config.ModelType}', but this is the GPT-2 loader (model_type 'gpt2').", nameof(directory));
        try { config.Validate(); }
        catch (ArgumentException e) { throw new ArgumentException($"{path}: {e.Message}", e.ParamName, e); }
        return config;
    }

    /// <summary>Loads <see cref="Gpt2LMHeadModel"/> (float32 parameters) from <paramref name="directory"/>.</summary>
    public static Gpt2LMHeadModel Load(string directory)
    {
        var config = ReadConfig(directory);
        CheckAgainstWeights(config, directory);
        var raw = CheckpointLoader.LoadStateDict(directory);
        try
        {
            var renamed = CheckpointKeys.Rename(raw, ToModelKey, directory);
            // ModuleDisposal.Build disposes the model with its weights if they do not load.
            return ModuleDisposal.Build(() => new Gpt2LMHeadModel(config),
                model => StateDictLoader.Load(model, renamed, mayStayFresh: _ => false, mayBeIgnored: k => IsIgnorable(k, config), directory));
        }
        finally
        {
            foreach (var t in raw.Values) t.Dispose();
        }
    }

    // Before allocating: the parameters fit in memory and config.json's sizes match the safetensors headers.
    private static void CheckAgainstWeights(Gpt2Config config, string directory)
    {
        long v = config.VocabSize, c = config.NEmbd, i = config.InnerDim, layers = config.NLayer;
        long parameters = v * c * (config.TieWordEmbeddings ? 1 : 2) + (config.Positions == "learned" ? (long)config.NPositions * c : 0)
            + layers * (4 * c * c + 2 * c * i + i + 9 * c) + 2 * c;
        ConfigAgainstWeights.RequireFitsInMemory(parameters, Path.Combine(directory, "config.json"),
            $"vocab_size {v}, n_embd {c}, n_layer {layers}, n_inner {i}, n_positions {config.NPositions}");
        var weights = new ConfigAgainstWeights(directory, ToModelKey);
        weights.Dim("transformer.wte.weight", 0, v, "vocab_size");
        weights.Dim("transformer.wte.weight", 1, c, "n_embd");
        if (config.Positions == "learned") weights.Dim("transformer.wpe.weight", 0, config.NPositions, "n_positions");
        weights.LayersAtLeast("transformer.h.", config.NLayer, "n_layer");
        weights.Dim("transformer.h.0.mlp.c_fc.weight", 1, i, "n_inner");
    }

    /// <summary>
    /// Saves as HF's <c>save_pretrained</c> does: <c>config.json</c> (architectures = GPT2LMHeadModel) and
    /// <c>model.safetensors</c> with <c>transformer.</c>-prefixed keys; a tied <c>lm_head</c> is not stored.
    /// </summary>
    public static void Save(Gpt2LMHeadModel model, string directory)
    {
        Directory.CreateDirectory(directory);
        ConfigFile.Save(Path.Combine(directory, "config.json"), model.Config with { Architectures = ["GPT2LMHeadModel"] });
        CheckpointLoader.SaveStateDict(directory, model.state_dict());
    }

    internal static string ToModelKey(string key) =>
        key.StartsWith("transformer.", StringComparison.Ordinal) || key.StartsWith("lm_head.", StringComparison.Ordinal) ? key : "transformer." + key;

    // Buffers older HF versions saved (the lower-triangular mask and −1e4), and the stored copy of a tied lm_head.
    private static bool IsIgnorable(string key, Gpt2Config config) =>
        key.EndsWith(".attn.bias", StringComparison.Ordinal)
        || key.EndsWith(".attn.masked_bias", StringComparison.Ordinal)
        || (config.TieWordEmbeddings && key == "lm_head.weight");
}
