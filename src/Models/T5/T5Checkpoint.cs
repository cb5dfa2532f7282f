using MLNet.Transformers.Checkpoints;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.T5;

/// <summary>
/// Loads and saves <see cref="T5ForConditionalGeneration"/> in Hugging Face layout (<c>config.json</c> +
/// <c>model.safetensors</c>), strictly: every weight must be in the checkpoint and every checkpoint tensor used, except
/// the tied aliases HF may store (<c>encoder/decoder.embed_tokens.weight</c>, <c>lm_head.weight</c> when tied) and the
/// unused cross-attention position table of old checkpoints. f16/bf16 storage is widened to the model's dtype.
/// </summary>
public static class T5Checkpoint
{
    private const string EncoderEmbedding = "encoder.embed_tokens.weight";
    private const string DecoderEmbedding = "decoder.embed_tokens.weight";

    /// <summary>Reads and validates <c>config.json</c> in <paramref name="directory"/>.</summary>
    public static T5Config ReadConfig(string directory)
    {
        var path = Path.Combine(directory, "config.json");
        var config = ConfigFile.Load<T5Config>(path);
        try { config.Validate(); }
        catch (ArgumentException e) { throw new ArgumentException($"{path}: {e.Message}", e.ParamName, e); }
        return config;
    }

    /// <summary>Loads the model in <paramref name="directory"/> (fp32 parameters on the CPU).</summary>
    public static T5ForConditionalGeneration Load(string directory)
    {
        var config = ReadConfig(directory);
        CheckAgainstWeights(config, directory);
        var raw = CheckpointLoader.LoadStateDict(directory);
        try
        {
            var renamed = new Dictionary<string, Tensor>(raw, StringComparer.Ordinal);
            // Some exports keep the table only under a stack's alias; it is the same tensor as shared.
            if (!renamed.ContainsKey("shared.weight"))
            {
                if (renamed.Remove(EncoderEmbedding, out var alias) || renamed.Remove(DecoderEmbedding, out alias))
                    renamed["shared.weight"] = alias;
            }
            // ModuleDisposal.Build disposes the model with its weights if they do not load.
            return ModuleDisposal.Build(() => new T5ForConditionalGeneration(config),
                m => StateDictLoader.Load(m, renamed, mayStayFresh: _ => false, mayBeIgnored: k => IsTiedAliasOrUnused(k, config), directory));
        }
        finally
        {
            foreach (var t in raw.Values) t.Dispose();
        }
    }

    /// <summary>
    /// Saves as HF's <c>save_pretrained</c> does: <c>config.json</c> (architectures = T5ForConditionalGeneration) and
    /// <c>model.safetensors</c> with <c>shared.weight</c>, <c>encoder.*</c>, <c>decoder.*</c> and, only when untied,
    /// <c>lm_head.weight</c>, in the parameters' dtype.
    /// </summary>
    public static void Save(T5ForConditionalGeneration model, string directory)
    {
        Directory.CreateDirectory(directory);
        var config = model.Config with { Architectures = new[] { "T5ForConditionalGeneration" }, NumDecoderLayers = model.Config.DecoderLayers };
        ConfigFile.Save(Path.Combine(directory, "config.json"), config);
        CheckpointLoader.SaveStateDict(directory, model.state_dict());
    }

    // Before allocating: the parameters fit in memory and config.json's sizes match the safetensors headers.
    private static void CheckAgainstWeights(T5Config config, string directory)
    {
        long v = config.VocabSize, d = config.DModel, inner = config.InnerDim, ff = (config.IsGatedFeedForward ? 3L : 2L) * d * config.DFf;
        long parameters = v * d * (config.TieWordEmbeddings ? 1 : 2) + 2L * config.RelativeAttentionNumBuckets * config.NumHeads + 2 * d
            + config.NumLayers * (4 * d * inner + ff + 2 * d) + config.DecoderLayers * (8 * d * inner + ff + 3 * d);
        ConfigAgainstWeights.RequireFitsInMemory(parameters, Path.Combine(directory, "config.json"),
            $"vocab_size {v}, d_model {d}, num_heads × d_kv {inner}, d_ff {config.DFf}, num_layers {config.NumLayers}, num_decoder_layers {config.DecoderLayers}");
        var weights = new ConfigAgainstWeights(directory, k => k is EncoderEmbedding or DecoderEmbedding ? "shared.weight" : k);
        weights.Dim("shared.weight", 0, v, "vocab_size");
        weights.Dim("shared.weight", 1, d, "d_model");
        weights.LayersAtLeast("encoder.block.", config.NumLayers, "num_layers");
        weights.LayersAtLeast("decoder.block.", config.DecoderLayers, "num_decoder_layers");
        weights.Dim("encoder.block.0.layer.0.SelfAttention.q.weight", 0, inner, "num_heads × d_kv");
        weights.Dim(config.IsGatedFeedForward ? "encoder.block.0.layer.1.DenseReluDense.wi_0.weight" : "encoder.block.0.layer.1.DenseReluDense.wi.weight", 0, config.DFf, "d_ff");
    }

    private static bool IsTiedAliasOrUnused(string key, T5Config config) =>
        key is EncoderEmbedding or DecoderEmbedding
        || (key == "lm_head.weight" && config.TieWordEmbeddings)
        // HF's _keys_to_ignore_on_load_unexpected: early checkpoints stored a never-used table here.
        || key == "decoder.block.0.layer.1.EncDecAttention.relative_attention_bias.weight";
}
