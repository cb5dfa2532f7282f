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
    /// <summary>BERT's key layout: <c>bert.</c> inside task models; <c>cls.</c> (pretraining), <c>classifier.</c>, <c>qa_outputs.</c> heads.</summary>
    internal static EncoderKeyMap Keys { get; } = new("bert.", ["embeddings.", "encoder.", "pooler."], ["cls.", "classifier.", "qa_outputs."]);

    /// <summary>Reads and validates <c>config.json</c> in <paramref name="directory"/>.</summary>
    public static BertConfig ReadConfig(string directory)
    {
        var path = Path.Combine(directory, "config.json");
        var config = ConfigFile.Load<BertConfig>(path);
        try { config.Validate(); }
        catch (ArgumentException e)
        {
            string problem = e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", "");
            throw new ArgumentException($"{path}: {problem}", e.ParamName, e);
        }
        return config;
    }

    /// <summary>Throws when a tokenizer's vocabulary does not have the size <c>config.json</c> declares.</summary>
    internal static void RequireVocabularySize(int vocabularySize, BertConfig config, string directory)
        => EncoderFamily.RequireVocabularySize("vocab.txt", vocabularySize, config.VocabSize, directory);

    /// <summary>
    /// Reads config.json and checks it against the weights' safetensors headers (no tensor data is read): what every loader
    /// does before allocating a model.
    /// </summary>
    internal static BertConfig ReadConfigMatchingWeights(string directory)
    {
        var config = ReadConfig(directory);
        RequireFitsInMemory(config, Path.Combine(directory, "config.json"));
        var weights = FamilyWeights.Headers(directory, Keys);
        weights.Dim("embeddings.word_embeddings.weight", 1, config.HiddenSize, "hidden_size");
        weights.Dim("embeddings.word_embeddings.weight", 0, config.VocabSize, "vocab_size");
        weights.Dim("embeddings.position_embeddings.weight", 0, config.MaxPositionEmbeddings, "max_position_embeddings");
        weights.Dim("embeddings.token_type_embeddings.weight", 0, config.TypeVocabSize, "type_vocab_size");
        weights.LayersAtLeast("encoder.layer.", config.NumHiddenLayers, "num_hidden_layers");
        weights.Dim("encoder.layer.0.intermediate.dense.weight", 0, config.IntermediateSize, "intermediate_size");
        return config;
    }

    /// <summary>Refuses a BERT-shaped config (BERT's, RoBERTa's) whose float32 weights alone would not fit in this machine's memory.</summary>
    internal static void RequireFitsInMemory(BertConfig config, string source) =>
        ConfigAgainstWeights.RequireFitsInMemory(config.ParameterCount, source,
            $"hidden_size {config.HiddenSize}, num_hidden_layers {config.NumHiddenLayers}, intermediate_size {config.IntermediateSize}, vocab_size {config.VocabSize}");

    /// <summary>Loads the bare encoder (HF <c>BertModel</c>) from any BERT checkpoint; heads in the file are skipped.</summary>
    /// <exception cref="CheckpointFormatException">A file is missing or malformed, or config.json disagrees with the weights' shapes
    /// (checked before the model is allocated); the message names the file and the field or tensor.</exception>
    /// <exception cref="ArgumentException">A config.json value is invalid or out of range (message names the file and field).</exception>
    /// <exception cref="InvalidOperationException">The weights do not fit the model: missing/unexpected keys, wrong shapes, integer
    /// or bool tensors for float weights, NaN/Inf values (see <see cref="CheckpointValidation.AllowNonFiniteWeights"/>).
    /// All loaders of this class throw these; a model that fails to load is disposed before the exception propagates.</exception>
    public static BertModel LoadEncoder(string directory, bool withPooler = true)
    {
        var config = ReadConfigMatchingWeights(directory);
        // ModuleDisposal.Build disposes the model (and construction temporaries) if its weights do not load.
        return ModuleDisposal.Build(() => new BertModel(config, withPooler),
            model => LoadWeights(model, directory, encoderPrefixed: false, mayStayFresh: _ => false));
    }

    /// <summary>
    /// Loads <see cref="BertForPreTraining"/>. The MLM head (and NSP head when <paramref name="withNextSentencePrediction"/>;
    /// null = use the NSP head if the checkpoint has one) must be in the checkpoint unless <paramref name="allowFreshHeads"/>
    /// is true, in which case missing heads start from HF's initialisation (continuing pretraining from an encoder-only checkpoint).
    /// </summary>
    public static BertForPreTraining LoadForPreTraining(string directory, bool? withNextSentencePrediction = true, bool allowFreshHeads = false)
    {
        var config = ReadConfigMatchingWeights(directory);
        var raw = CheckpointLoader.LoadStateDict(directory);
        try
        {
            bool nsp = withNextSentencePrediction ?? raw.Keys.Any(k => k.StartsWith("cls.seq_relationship.", StringComparison.Ordinal));
            return ModuleDisposal.Build(() => new BertForPreTraining(config, nsp), model =>
            {
                BertInitializer.Initialize(model, config);
                LoadWeights(model, raw, directory, encoderPrefixed: true,
                    mayStayFresh: k => allowFreshHeads && (k.StartsWith("cls.", StringComparison.Ordinal) || k.StartsWith("bert.pooler.", StringComparison.Ordinal)));
            });
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
        var config = ReadConfigMatchingWeights(directory);
        if (classifierDropout is not null) config = config with { ClassifierDropout = classifierDropout };
        var raw = CheckpointLoader.LoadStateDict(directory);
        try
        {
            return ModuleDisposal.Build(() => new BertForSequenceClassification(config, numLabels, head), model =>
            {
                BertInitializer.Initialize(model, config);
                // As HF: weights the checkpoint lacks start fresh — the head, and the pooler of a checkpoint saved without one
                // (token-classification, QA) — unless the caller scores with the checkpoint as it is (requireHead).
                LoadWeights(model, raw, directory, encoderPrefixed: true, mayStayFresh: k => !requireHead
                    && (k.StartsWith("classifier.", StringComparison.Ordinal) || k.StartsWith("bert.pooler.", StringComparison.Ordinal)));
            });
        }
        finally { DisposeAll(raw); }
    }

    /// <summary>
    /// Loads HF's <c>BertForTokenClassification</c> (an <see cref="EncoderForTokenClassification"/> over BERT; no pooler: a
    /// checkpoint's pooler is ignored). The classifier starts fresh when the checkpoint has none, unless <paramref name="requireHead"/>.
    /// </summary>
    public static EncoderForTokenClassification LoadForTokenClassification(string directory, int numLabels, bool requireHead = false,
        double? classifierDropout = null)
    {
        var config = ReadConfigMatchingWeights(directory);
        if (classifierDropout is not null) config = config with { ClassifierDropout = classifierDropout };
        return ModuleDisposal.Build(() => new EncoderForTokenClassification(new BertModel(config, addPoolingLayer: false), "bert",
            config.ClassifierDropout ?? config.HiddenDropoutProb, numLabels,
            (model, dir, labels) => Save(model, WithLabels(config, labels), dir, "BertForTokenClassification")), model =>
        {
            BertInitializer.Initialize(model, config);
            LoadWeights(model, directory, encoderPrefixed: true, mayStayFresh: k => !requireHead && k.StartsWith("classifier.", StringComparison.Ordinal));
        });
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

    /// <summary>
    /// Loads <see cref="BertForQuestionAnswering"/>; the span head starts fresh when the checkpoint has none, unless
    /// <paramref name="allowFreshHead"/> is false (answering with a checkpoint as it is), which makes a missing head an error.
    /// </summary>
    public static BertForQuestionAnswering LoadForQuestionAnswering(string directory, bool allowFreshHead = true)
    {
        var config = ReadConfigMatchingWeights(directory);
        return ModuleDisposal.Build(() => new BertForQuestionAnswering(config), model =>
        {
            BertInitializer.Initialize(model, config);
            LoadWeights(model, directory, encoderPrefixed: true, mayStayFresh: k => allowFreshHead && k.StartsWith("qa_outputs.", StringComparison.Ordinal));
        });
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
    internal static StateDictLoadReport LoadWeights(nn.Module model, string directory, bool encoderPrefixed, Func<string, bool> mayStayFresh) =>
        FamilyWeights.Load(model, directory, Keys, encoderPrefixed, mayStayFresh);

    private static StateDictLoadReport LoadWeights(nn.Module model, IReadOnlyDictionary<string, Tensor> raw, string directory,
        bool encoderPrefixed, Func<string, bool> mayStayFresh) => FamilyWeights.Load(model, raw, directory, Keys, encoderPrefixed, mayStayFresh);

    private static void DisposeAll(Dictionary<string, Tensor> tensors)
    {
        foreach (var t in tensors.Values) t.Dispose();
    }
}
