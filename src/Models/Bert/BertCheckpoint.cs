using MLNet.Transformers.Checkpoints;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.Bert;

/// <summary>
/// Loads and saves BERT models in Hugging Face layout (<c>config.json</c> + <c>model.safetensors</c>), strictly:
/// every weight the model needs must be in the checkpoint, and every checkpoint tensor must be used, except
/// task heads the caller did not ask for. Accepts the real-world variants: keys with or without the <c>bert.</c>
/// prefix, legacy <c>LayerNorm.gamma/beta</c> names, no stored tied decoder weight, f16/bf16 storage.
/// </summary>
public static class BertCheckpoint
{
    private static readonly string[] EncoderRoots = { "embeddings.", "encoder.", "pooler." };
    private static readonly string[] HeadRoots = { "cls.", "classifier.", "qa_outputs." };

    /// <summary>Reads and validates <c>config.json</c> in <paramref name="directory"/>.</summary>
    public static BertConfig ReadConfig(string directory)
    {
        var path = Path.Combine(directory, "config.json");
        var config = ConfigFile.Load<BertConfig>(path);
        try { config.Validate(); }
        catch (ArgumentException e) { throw new ArgumentException($"{path}: {e.Message}", e.ParamName, e); }
        return config;
    }

    /// <summary>Throws when a tokenizer's vocabulary does not have the size <c>config.json</c> declares.</summary>
    internal static void RequireVocabularySize(int vocabularySize, BertConfig config, string directory)
    {
        if (vocabularySize != config.VocabSize)
            throw new InvalidOperationException($"vocab.txt in {directory} has {vocabularySize} tokens but config.json says vocab_size = {config.VocabSize}.");
    }

    /// <summary>Loads the bare encoder (HF <c>BertModel</c>) from any BERT checkpoint; heads in the file are skipped.</summary>
    public static BertModel LoadEncoder(string directory, bool withPooler = true)
    {
        var config = ReadConfig(directory);
        var model = new BertModel(config, withPooler);
        LoadWeights(model, directory, encoderPrefixed: false, mayStayFresh: _ => false);
        return model;
    }

    /// <summary>
    /// Loads <see cref="BertForPreTraining"/>. The MLM head (and NSP head when <paramref name="withNextSentencePrediction"/>;
    /// null = use the NSP head if the checkpoint has one) must be in the checkpoint unless <paramref name="allowFreshHeads"/>
    /// is true, in which case missing heads start from HF's initialisation (continuing pretraining from an encoder-only checkpoint).
    /// </summary>
    public static BertForPreTraining LoadForPreTraining(string directory, bool? withNextSentencePrediction = true, bool allowFreshHeads = false)
    {
        var config = ReadConfig(directory);
        var raw = CheckpointLoader.LoadStateDict(directory);
        try
        {
            bool nsp = withNextSentencePrediction ?? raw.Keys.Any(k => k.StartsWith("cls.seq_relationship.", StringComparison.Ordinal));
            var model = new BertForPreTraining(config, nsp);
            BertInitializer.Initialize(model, config);
            LoadWeights(model, raw, directory, encoderPrefixed: true,
                mayStayFresh: k => allowFreshHeads && (k.StartsWith("cls.", StringComparison.Ordinal) || k.StartsWith("bert.pooler.", StringComparison.Ordinal)));
            return model;
        }
        finally { DisposeAll(raw); }
    }

    /// <summary>Loads <see cref="BertForSequenceClassification"/>; the classifier starts fresh when the checkpoint has none.</summary>
    public static BertForSequenceClassification LoadForSequenceClassification(string directory, int numLabels)
    {
        var config = ReadConfig(directory);
        var model = new BertForSequenceClassification(config, numLabels);
        BertInitializer.Initialize(model, config);
        LoadWeights(model, directory, encoderPrefixed: true, mayStayFresh: k => k.StartsWith("classifier.", StringComparison.Ordinal));
        return model;
    }

    /// <summary>
    /// Loads <see cref="BertForQuestionAnswering"/>; the span head starts fresh when the checkpoint has none, unless
    /// <paramref name="allowFreshHead"/> is false (answering with a checkpoint as it is), which makes a missing head an error.
    /// </summary>
    public static BertForQuestionAnswering LoadForQuestionAnswering(string directory, bool allowFreshHead = true)
    {
        var config = ReadConfig(directory);
        var model = new BertForQuestionAnswering(config);
        BertInitializer.Initialize(model, config);
        LoadWeights(model, directory, encoderPrefixed: true, mayStayFresh: k => allowFreshHead && k.StartsWith("qa_outputs.", StringComparison.Ordinal));
        return model;
    }

    /// <summary>
    /// Saves <paramref name="model"/> as HF would: <c>config.json</c> (with <paramref name="architecture"/>, e.g.
    /// "BertForPreTraining") and <c>model.safetensors</c>. The tied decoder weight is not stored, as HF does not store it.
    /// </summary>
    public static void Save(nn.Module model, BertConfig config, string directory, string architecture)
    {
        Directory.CreateDirectory(directory);
        ConfigFile.Save(Path.Combine(directory, "config.json"), config with { Architectures = new[] { architecture } });
        CheckpointLoader.SaveStateDict(directory, model.state_dict());
    }

    /// <summary>Loads the checkpoint in <paramref name="directory"/> into <paramref name="model"/> after renaming its keys.</summary>
    /// <param name="model">A BERT module.</param>
    /// <param name="directory">The checkpoint directory.</param>
    /// <param name="encoderPrefixed">True when the model keeps its encoder under <c>bert.</c> (task models), false for a bare <see cref="BertModel"/>.</param>
    /// <param name="mayStayFresh">Model keys allowed to be absent from the checkpoint.</param>
    internal static StateDictLoadReport LoadWeights(nn.Module model, string directory, bool encoderPrefixed, Func<string, bool> mayStayFresh)
    {
        var raw = CheckpointLoader.LoadStateDict(directory);
        try { return LoadWeights(model, raw, directory, encoderPrefixed, mayStayFresh); }
        finally { DisposeAll(raw); }
    }

    private static StateDictLoadReport LoadWeights(nn.Module model, IReadOnlyDictionary<string, Tensor> raw, string directory,
        bool encoderPrefixed, Func<string, bool> mayStayFresh)
    {
        var renamed = new Dictionary<string, Tensor>();
        foreach (var (key, tensor) in raw)
        {
            var name = ToModelKey(key, encoderPrefixed);
            if (!renamed.TryAdd(name, tensor))
                throw new InvalidOperationException($"Checkpoint '{directory}' holds '{name}' twice (as '{key}' and another spelling).");
        }
        var hasPooler = model.state_dict().Keys.Any(k => k.Contains("pooler.", StringComparison.Ordinal));
        return StateDictLoader.Load(model, renamed, mayStayFresh, k => IsSkippable(k, hasPooler), directory);
    }

    private static void DisposeAll(Dictionary<string, Tensor> tensors)
    {
        foreach (var t in tensors.Values) t.Dispose();
    }

    // HF's legacy TF-converted checkpoints name LayerNorm parameters gamma/beta; a bare BertModel saves without "bert.".
    internal static string ToModelKey(string key, bool encoderPrefixed)
    {
        if (key.EndsWith(".gamma", StringComparison.Ordinal)) key = key[..^6] + ".weight";
        else if (key.EndsWith(".beta", StringComparison.Ordinal)) key = key[..^5] + ".bias";
        bool prefixed = key.StartsWith("bert.", StringComparison.Ordinal);
        if (encoderPrefixed && !prefixed && EncoderRoots.Any(r => key.StartsWith(r, StringComparison.Ordinal))) return "bert." + key;
        if (!encoderPrefixed && prefixed) return key["bert.".Length..];
        return key;
    }

    // Tensors a checkpoint may carry that this model legitimately has no use for.
    private static bool IsSkippable(string key, bool modelHasPooler) =>
        HeadRoots.Any(r => key.StartsWith(r, StringComparison.Ordinal))                // heads the caller did not ask for; tied decoder copies
        || key.EndsWith("position_ids", StringComparison.Ordinal)                       // a buffer older HF versions saved
        || (!modelHasPooler && key.Contains("pooler.", StringComparison.Ordinal));      // e.g. a QA or MLM model built without pooler
}
