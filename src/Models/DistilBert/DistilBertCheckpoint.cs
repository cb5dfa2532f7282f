using MLNet.Transformers.Checkpoints;
using MLNet.Transformers.Models.Bert;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.DistilBert;

/// <summary>
/// Loads and saves DistilBERT models in Hugging Face layout, strictly (keys with or without the <c>distilbert.</c> prefix;
/// every needed key present, every stored key used except heads not asked for and the tied projector copy).
/// </summary>
internal static class DistilBertCheckpoint
{
    /// <summary>DistilBERT's key layout: <c>distilbert.</c> inside task models; its heads (the masked-LM's <c>vocab_*</c> included).</summary>
    internal static EncoderKeyMap Keys { get; } = new("distilbert.", ["embeddings.", "transformer."],
        ["pre_classifier.", "classifier.", "qa_outputs.", "vocab_transform.", "vocab_layer_norm.", "vocab_projector."]);

    /// <summary>Reads and validates config.json.</summary>
    public static DistilBertConfig ReadConfig(string directory)
    {
        var path = Path.Combine(directory, "config.json");
        var config = ConfigFile.Load<DistilBertConfig>(path);
        try { config.Validate(); }
        catch (ArgumentException e) { throw new ArgumentException($"{path}: {e.Message}", e.ParamName, e); }
        return config;
    }

    // ReadConfig, then (before a model is allocated) the parameters fit in memory and the sizes match the safetensors headers.
    private static DistilBertConfig ReadConfigMatchingWeights(string directory)
    {
        var config = ReadConfig(directory);
        long v = config.VocabSize, d = config.Dim, h = config.HiddenDim;
        long parameters = (v + config.MaxPositionEmbeddings + 2) * d + config.NLayers * (4 * d * d + 2 * d * h + h + 9 * d) + v * d;
        ConfigAgainstWeights.RequireFitsInMemory(parameters, Path.Combine(directory, "config.json"),
            $"vocab_size {v}, dim {d}, n_layers {config.NLayers}, hidden_dim {h}");
        var weights = FamilyWeights.Headers(directory, Keys);
        weights.Dim("embeddings.word_embeddings.weight", 0, v, "vocab_size");
        weights.Dim("embeddings.word_embeddings.weight", 1, d, "dim");
        weights.Dim("embeddings.position_embeddings.weight", 0, config.MaxPositionEmbeddings, "max_position_embeddings");
        weights.LayersAtLeast("transformer.layer.", config.NLayers, "n_layers");
        weights.Dim("transformer.layer.0.ffn.lin1.weight", 0, h, "hidden_dim");
        return config;
    }

    /// <summary>Loads the bare encoder (HF <c>DistilBertModel</c>); heads in the file are skipped.</summary>
    public static DistilBertModel LoadEncoder(string directory)
    {
        var config = ReadConfigMatchingWeights(directory);
        return ModuleDisposal.Build(() => new DistilBertModel(config),
            model => FamilyWeights.Load(model, directory, Keys, modelIsPrefixed: false, mayStayFresh: _ => false));
    }

    /// <summary>Loads <see cref="DistilBertForSequenceClassification"/>; pre_classifier/classifier start fresh when absent, unless <paramref name="requireHead"/>.</summary>
    public static DistilBertForSequenceClassification LoadForSequenceClassification(string directory, int numLabels, bool requireHead = false, double? classifierDropout = null)
    {
        var config = ReadConfigMatchingWeights(directory);
        if (classifierDropout is double p) config = config with { SeqClassifDropout = p };
        return LoadTask(() => new DistilBertForSequenceClassification(config, numLabels), config, directory, ["pre_classifier.", "classifier."], requireHead);
    }

    /// <summary>Loads HF's <c>DistilBertForTokenClassification</c> (an <see cref="EncoderForTokenClassification"/> over DistilBERT); the classifier starts fresh when absent, unless <paramref name="requireHead"/>.</summary>
    public static EncoderForTokenClassification LoadForTokenClassification(string directory, int numLabels, bool requireHead = false, double? classifierDropout = null)
    {
        var config = ReadConfigMatchingWeights(directory);
        if (classifierDropout is double p) config = config with { Dropout = p };
        return LoadTask(() => new EncoderForTokenClassification(new DistilBertModel(config), "distilbert", config.Dropout, numLabels,
            (model, dir, labels) => Save(model, WithLabels(config, labels), dir, "DistilBertForTokenClassification")),
            config, directory, ["classifier."], requireHead);
    }

    /// <summary>Loads HF's <c>DistilBertForQuestionAnswering</c> (an <see cref="EncoderForQuestionAnswering"/> over DistilBERT, dropout <c>qa_dropout</c>); qa_outputs starts fresh when absent, unless <paramref name="requireHead"/>.</summary>
    public static EncoderForQuestionAnswering LoadForQuestionAnswering(string directory, bool requireHead = false)
    {
        var config = ReadConfigMatchingWeights(directory);
        return LoadTask(() => new EncoderForQuestionAnswering(new DistilBertModel(config), "distilbert", config.QaDropout,
            (model, dir) => Save(model, config, dir, "DistilBertForQuestionAnswering")), config, directory, ["qa_outputs."], requireHead);
    }

    /// <summary>Loads <see cref="DistilBertForMaskedLM"/>; the MLM head must be stored unless <paramref name="allowFreshHead"/>.</summary>
    public static DistilBertForMaskedLM LoadForMaskedLM(string directory, bool allowFreshHead = false)
    {
        var config = ReadConfigMatchingWeights(directory);
        return LoadTask(() => new DistilBertForMaskedLM(config), config, directory, ["vocab_transform.", "vocab_layer_norm.", "vocab_projector."], !allowFreshHead);
    }

    /// <summary><paramref name="config"/> with a classifier's labels, as HF writes them.</summary>
    public static DistilBertConfig WithLabels(DistilBertConfig config, ClassifierLabels labels)
    {
        var bert = BertCheckpoint.WithLabels(new BertConfig { ProblemType = config.ProblemType }, labels);
        return config with { Id2Label = bert.Id2Label, Label2Id = bert.Label2Id, ProblemType = bert.ProblemType };
    }

    /// <summary>Saves <paramref name="model"/> as HF does: config.json with <paramref name="architecture"/>, and model.safetensors.</summary>
    public static void Save(nn.Module model, DistilBertConfig config, string directory, string architecture)
    {
        Directory.CreateDirectory(directory);
        ConfigFile.Save(Path.Combine(directory, "config.json"), config with { Architectures = [architecture] });
        CheckpointLoader.SaveStateDict(directory, model.state_dict());
    }

    // HF's DistilBertPreTrainedModel._init_weights is BERT's rule (normal(0, initializer_range), zero biases, unit LayerNorms).
    private static T LoadTask<T>(Func<T> create, DistilBertConfig config, string directory, string[] headRoots, bool requireHead) where T : nn.Module
    {
        bool headFresh = !requireHead && !CheckpointShapes.Read(directory).Keys.Any(k => EncoderKeyMap.Under(k, headRoots));
        return ModuleDisposal.Build(create, model =>
        {
            BertInitializer.Initialize(model, new BertConfig { InitializerRange = config.InitializerRange, PadTokenId = config.PadTokenId });
            FamilyWeights.Load(model, directory, Keys, modelIsPrefixed: true, mayStayFresh: k => headFresh && EncoderKeyMap.Under(k, headRoots));
        });
    }
}
