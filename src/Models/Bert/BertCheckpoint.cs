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

    /// <summary>
    /// Loads <see cref="BertForSequenceClassification"/>. The classifier starts fresh (HF's initialisation, from torch's
    /// current seed) when the checkpoint has none, and so does the pooler of a checkpoint saved without one (HF does the
    /// same), unless <paramref name="requireHead"/>. A pretraining checkpoint's <c>cls.*</c> heads are ignored.
    /// </summary>
    public static BertForSequenceClassification LoadForSequenceClassification(string directory, int numLabels,
        ClassificationHead head = ClassificationHead.Pooler, bool requireHead = false, double? classifierDropout = null)
    {
        var config = ReadConfig(directory);
        if (classifierDropout is not null) config = config with { ClassifierDropout = classifierDropout };
        var model = new BertForSequenceClassification(config, numLabels, head);
        try
        {
            BertInitializer.Initialize(model, config);
            var raw = CheckpointLoader.LoadStateDict(directory);
            try
            {
                // As HF: weights the checkpoint lacks start fresh — the head, and the pooler of a checkpoint saved without one
                // (token-classification, QA) — unless the caller scores with the checkpoint as it is (requireHead).
                LoadWeights(model, raw, directory, encoderPrefixed: true, mayStayFresh: k => !requireHead
                    && (k.StartsWith("classifier.", StringComparison.Ordinal) || k.StartsWith("bert.pooler.", StringComparison.Ordinal)));
            }
            finally { DisposeAll(raw); }
            return model;
        }
        catch { model.Dispose(); throw; }
    }

    /// <summary>
    /// Loads <see cref="BertForTokenClassification"/> (no pooler: a checkpoint's pooler is ignored). The classifier starts
    /// fresh when the checkpoint has none, unless <paramref name="requireHead"/>.
    /// </summary>
    public static BertForTokenClassification LoadForTokenClassification(string directory, int numLabels, bool requireHead = false,
        double? classifierDropout = null)
    {
        var config = ReadConfig(directory);
        if (classifierDropout is not null) config = config with { ClassifierDropout = classifierDropout };
        var model = new BertForTokenClassification(config, numLabels);
        try
        {
            BertInitializer.Initialize(model, config);
            LoadWeights(model, directory, encoderPrefixed: true, mayStayFresh: k => !requireHead && k.StartsWith("classifier.", StringComparison.Ordinal));
            return model;
        }
        catch { model.Dispose(); throw; }
    }

    /// <summary>
    /// <paramref name="config"/> with a classifier's labels as HF writes them: <c>id2label</c>/<c>label2id</c>, and
    /// <c>problem_type: "regression"</c> for a regression head (HF derives num_labels from id2label, so it is not written).
    /// </summary>
    public static BertConfig WithLabels(BertConfig config, ClassifierLabels labels) => config with
    {
        NumLabels = null,
        Id2Label = labels.Names.Select((n, i) => (i, n)).ToDictionary(p => p.i.ToString(System.Globalization.CultureInfo.InvariantCulture), p => p.n),
        Label2Id = labels.Names.Select((n, i) => (i, n)).GroupBy(p => p.n).ToDictionary(g => g.Key, g => g.First().i),
        ProblemType = labels.IsRegression ? "regression" : config.ProblemType is "regression" ? null : config.ProblemType,
    };

    /// <summary>Loads <see cref="BertForQuestionAnswering"/>; the span head starts fresh when the checkpoint has none.</summary>
    public static BertForQuestionAnswering LoadForQuestionAnswering(string directory)
    {
        var config = ReadConfig(directory);
        var model = new BertForQuestionAnswering(config);
        BertInitializer.Initialize(model, config);
        LoadWeights(model, directory, encoderPrefixed: true, mayStayFresh: k => k.StartsWith("qa_outputs.", StringComparison.Ordinal));
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
