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
        var model = new T5ForConditionalGeneration(config);
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
            StateDictLoader.Load(model, renamed, mayStayFresh: _ => false, mayBeIgnored: k => IsTiedAliasOrUnused(k, config), directory);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
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

    private static bool IsTiedAliasOrUnused(string key, T5Config config) =>
        key is EncoderEmbedding or DecoderEmbedding
        || (key == "lm_head.weight" && config.TieWordEmbeddings)
        // HF's _keys_to_ignore_on_load_unexpected: early checkpoints stored a never-used table here.
        || key == "decoder.block.0.layer.1.EncDecAttention.relative_attention_bias.weight";
}
