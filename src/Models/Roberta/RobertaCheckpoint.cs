using System.Text.Json.Nodes;
using MLNet.Transformers.Checkpoints;
using MLNet.Transformers.Models.Bert;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models.Roberta;

/// <summary>
/// Loads and saves RoBERTa models in Hugging Face layout, strictly (every needed key present, every stored key used except
/// heads not asked for). RoBERTa's config has BERT's fields (HF's <c>RobertaConfig</c> subclasses <c>BertConfig</c>), so it is
/// read into a <see cref="BertConfig"/> whose model_type stays "roberta" and validated by the same rules, errors naming
/// RoBERTa; only pad_token_id's default differs (1).
/// </summary>
internal static class RobertaCheckpoint
{
    /// <summary>RoBERTa's key layout: <c>roberta.</c> inside task models; <c>classifier.</c>, <c>qa_outputs.</c>, <c>lm_head.</c> heads.</summary>
    internal static EncoderKeyMap Keys { get; } = new("roberta.", ["embeddings.", "encoder.", "pooler."], ["classifier.", "qa_outputs.", "lm_head."]);

    /// <summary>Reads and validates config.json (model_type must be "roberta").</summary>
    public static BertConfig ReadConfig(string directory)
    {
        var path = Path.Combine(directory, "config.json");
        var config = ConfigFile.Load<BertConfig>(path);
        if (config.ModelType != "roberta") throw new ArgumentException($"{path}: model_type is '{config.ModelType}', expected 'roberta'.");
        if (JsonNode.Parse(File.ReadAllText(path))?["pad_token_id"] is null) config = config with { PadTokenId = 1 }; // RobertaConfig's default
        try { config.Validate("RoBERTa", "roberta"); }
        catch (ArgumentException e) { throw new ArgumentException($"{path}: {e.Message}", e.ParamName, e); }
        if (config.MaxPositionEmbeddings <= config.PadTokenId + 1)
            throw new ArgumentException($"{path}: max_position_embeddings ({config.MaxPositionEmbeddings}) must exceed pad_token_id + 1 ({config.PadTokenId + 1}): RoBERTa positions start after the padding index.");
        return config;
    }

    // ReadConfig, then (before a model is allocated) the parameters fit in memory and the sizes match the safetensors headers.
    private static BertConfig ReadConfigMatchingWeights(string directory)
    {
        var config = ReadConfig(directory);
        BertCheckpoint.RequireFitsInMemory(config, Path.Combine(directory, "config.json"));
        var weights = FamilyWeights.Headers(directory, Keys);
        weights.Dim("embeddings.word_embeddings.weight", 0, config.VocabSize, "vocab_size");
        weights.Dim("embeddings.word_embeddings.weight", 1, config.HiddenSize, "hidden_size");
        weights.Dim("embeddings.position_embeddings.weight", 0, config.MaxPositionEmbeddings, "max_position_embeddings");
        weights.Dim("embeddings.token_type_embeddings.weight", 0, config.TypeVocabSize, "type_vocab_size");
        weights.LayersAtLeast("encoder.layer.", config.NumHiddenLayers, "num_hidden_layers");
        weights.Dim("encoder.layer.0.intermediate.dense.weight", 0, config.IntermediateSize, "intermediate_size");
        return config;
    }

    /// <summary>Tokens a RoBERTa model can take: positions start at pad_token_id + 1 (514 positions → 512 tokens).</summary>
    public static int MaxTokens(BertConfig config) => config.MaxPositionEmbeddings - config.PadTokenId - 1;

    /// <summary>Loads the bare encoder (HF <c>RobertaModel</c>) from any RoBERTa checkpoint; heads in the file are skipped.</summary>
    public static RobertaModel LoadEncoder(string directory, bool withPooler)
    {
        var config = ReadConfigMatchingWeights(directory);
        if (withPooler && !FamilyWeights.Has(directory, "roberta.pooler.dense.weight") && !FamilyWeights.Has(directory, "pooler.dense.weight"))
            throw new InvalidOperationException($"Checkpoint '{directory}' (model_type 'roberta') has no pooler weights (roberta.pooler.*): " +
                "RoBERTa task checkpoints are usually saved without one. Use Cls or Mean pooling.");
        return ModuleDisposal.Build(() => new RobertaModel(config, withPooler),
            model => FamilyWeights.Load(model, directory, Keys, modelIsPrefixed: false, mayStayFresh: _ => false));
    }

    /// <summary>Loads <see cref="RobertaForSequenceClassification"/>; the head starts fresh when the checkpoint has none, unless <paramref name="requireHead"/>.</summary>
    public static RobertaForSequenceClassification LoadForSequenceClassification(string directory, int numLabels, bool requireHead = false, double? classifierDropout = null)
    {
        var config = ReadConfigMatchingWeights(directory);
        if (classifierDropout is not null) config = config with { ClassifierDropout = classifierDropout };
        return LoadTask(() => new RobertaForSequenceClassification(config, numLabels), config, directory, "classifier.", requireHead);
    }

    /// <summary>Loads HF's <c>RobertaForTokenClassification</c> (an <see cref="EncoderForTokenClassification"/> over RoBERTa); the head starts fresh when the checkpoint has none, unless <paramref name="requireHead"/>.</summary>
    public static EncoderForTokenClassification LoadForTokenClassification(string directory, int numLabels, bool requireHead = false, double? classifierDropout = null)
    {
        var config = ReadConfigMatchingWeights(directory);
        if (classifierDropout is not null) config = config with { ClassifierDropout = classifierDropout };
        return LoadTask(() => new EncoderForTokenClassification(new RobertaModel(config, addPoolingLayer: false), "roberta",
            config.ClassifierDropout ?? config.HiddenDropoutProb, numLabels,
            (model, dir, labels) => Save(model, BertCheckpoint.WithLabels(config, labels), dir, "RobertaForTokenClassification")),
            config, directory, "classifier.", requireHead);
    }

    /// <summary>Loads HF's <c>RobertaForQuestionAnswering</c> (an <see cref="EncoderForQuestionAnswering"/> over RoBERTa); the span head starts fresh when the checkpoint has none, unless <paramref name="requireHead"/>.</summary>
    public static EncoderForQuestionAnswering LoadForQuestionAnswering(string directory, bool requireHead = false)
    {
        var config = ReadConfigMatchingWeights(directory);
        return LoadTask(() => new EncoderForQuestionAnswering(new RobertaModel(config, addPoolingLayer: false), "roberta", dropoutProbability: null,
            (model, dir) => Save(model, config, dir, "RobertaForQuestionAnswering")), config, directory, "qa_outputs.", requireHead);
    }

    /// <summary>Loads <see cref="RobertaForMaskedLM"/>; the LM head must be in the checkpoint unless <paramref name="allowFreshHead"/>.</summary>
    public static RobertaForMaskedLM LoadForMaskedLM(string directory, bool allowFreshHead = false)
    {
        var config = ReadConfigMatchingWeights(directory);
        return LoadTask(() => new RobertaForMaskedLM(config), config, directory, "lm_head.", requireHead: !allowFreshHead);
    }

    /// <summary>Saves <paramref name="model"/> as HF does: config.json with <paramref name="architecture"/>, and model.safetensors (no tied decoder copy).</summary>
    public static void Save(nn.Module model, BertConfig config, string directory, string architecture)
    {
        Directory.CreateDirectory(directory);
        ConfigFile.Save(Path.Combine(directory, "config.json"), config with { Architectures = [architecture] });
        CheckpointLoader.SaveStateDict(directory, model.state_dict());
    }

    // HF's RobertaPreTrainedModel._init_weights is BERT's rule; a head the checkpoint lacks stays at it unless requireHead.
    private static T LoadTask<T>(Func<T> create, BertConfig config, string directory, string headRoot, bool requireHead) where T : nn.Module
    {
        bool headFresh = !requireHead && !CheckpointShapes.Read(directory).Keys.Any(k => k.StartsWith(headRoot, StringComparison.Ordinal));
        return ModuleDisposal.Build(create, model =>
        {
            BertInitializer.Initialize(model, config);
            FamilyWeights.Load(model, directory, Keys, modelIsPrefixed: true, mayStayFresh: k => headFresh && k.StartsWith(headRoot, StringComparison.Ordinal));
        });
    }
}
