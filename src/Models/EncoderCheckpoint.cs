using System.Text.Json.Nodes;
using MLNet.Transformers.Checkpoints;
using MLNet.Transformers.Models.Bert;
using MLNet.Transformers.Models.DistilBert;
using MLNet.Transformers.Models.Roberta;
using MLNet.Transformers.Tokenization;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models;

/// <summary>What a checkpoint says about itself before any weight is loaded.</summary>
/// <param name="ModelType">config.json's <c>model_type</c> (e.g. "bert").</param>
/// <param name="Id2Label">Class names of its classifier by index (HF <c>id2label</c>), or null.</param>
/// <param name="ProblemType">HF <c>problem_type</c>, or null.</param>
/// <param name="HeadOutputs">Rows of the stored <c>classifier.weight</c> (the head's class count), or null when it has no classifier.</param>
public sealed record EncoderCheckpointInfo(string ModelType, IReadOnlyList<string>? Id2Label, string? ProblemType, int? HeadOutputs);

/// <summary>
/// The one place that turns a checkpoint folder into a model and tokenizer by config.json's <c>model_type</c>, as Hugging
/// Face's <c>AutoModelFor…</c>/<c>AutoTokenizer</c> do. Estimators and transformers call only this, never a family's classes.
/// A new encoder family (RoBERTa, DistilBERT, …) plugs in by adding its <c>model_type</c> to the switches below, returning
/// its own <see cref="EncoderClassifier"/> subclasses and <see cref="IEncoderTokenizer"/>.
/// </summary>
public static class EncoderCheckpoint
{
    /// <summary>The model types the switches below know.</summary>
    public static IReadOnlyList<string> SupportedModelTypes { get; } = ["bert", "roberta", "distilbert"];

    /// <summary>Reads config.json's model_type, labels and the stored head's size (from the safetensors header).</summary>
    public static EncoderCheckpointInfo ReadInfo(string directory)
    {
        var path = Path.Combine(directory, "config.json");
        if (!File.Exists(path)) throw new CheckpointFormatException(path, "config file not found");
        JsonObject config;
        try { config = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new CheckpointFormatException(path, "config is not a JSON object"); }
        catch (System.Text.Json.JsonException e) { throw new CheckpointFormatException(path, $"config is not valid JSON: {e.Message}", e); }
        string modelType = config["model_type"]?.GetValue<string>() ?? throw new CheckpointFormatException(path, "field 'model_type' is missing");
        List<string>? id2label = null;
        if (config["id2label"] is JsonObject labels)
        {
            id2label = new List<string>();
            for (int i = 0; i < labels.Count; i++)
                id2label.Add(labels[i.ToString(System.Globalization.CultureInfo.InvariantCulture)]?.GetValue<string>()
                    ?? throw new CheckpointFormatException(path, $"id2label has {labels.Count} entries but no \"{i}\""));
        }
        var shapes = CheckpointShapes.Read(directory);
        // RoBERTa's head ends in classifier.out_proj; BERT's and DistilBERT's in classifier.
        int? headOutputs = (shapes.TryGetValue("classifier.weight", out var shape) || shapes.TryGetValue("classifier.out_proj.weight", out shape))
            && shape.Length == 2 ? (int)shape[0] : null;
        return new EncoderCheckpointInfo(modelType, id2label, config["problem_type"]?.GetValue<string>(), headOutputs);
    }

    /// <summary>
    /// The sequence-classification model of the checkpoint's family (HF <c>AutoModelForSequenceClassification</c>) with
    /// <paramref name="numLabels"/> outputs; the head starts fresh from torch's current seed when the checkpoint has none
    /// (unless <paramref name="requireHead"/>).
    /// </summary>
    public static EncoderClassifier LoadForSequenceClassification(string directory, int numLabels, ClassificationHead head = ClassificationHead.Pooler,
        bool requireHead = false, double? classifierDropout = null) => ReadInfo(directory).ModelType switch
        {
            "bert" => BertCheckpoint.LoadForSequenceClassification(directory, numLabels, head, requireHead, classifierDropout),
            "roberta" => RobertaCheckpoint.LoadForSequenceClassification(directory, numLabels, requireHead, RequireHfHead(head, "roberta", classifierDropout)),
            "distilbert" => DistilBertCheckpoint.LoadForSequenceClassification(directory, numLabels, requireHead, RequireHfHead(head, "distilbert", classifierDropout)),
            var other => throw Unsupported(directory, other),
        };

    /// <summary>The token-classification model of the checkpoint's family (HF <c>AutoModelForTokenClassification</c>).</summary>
    public static EncoderClassifier LoadForTokenClassification(string directory, int numLabels, bool requireHead = false, double? classifierDropout = null) =>
        ReadInfo(directory).ModelType switch
        {
            "bert" => BertCheckpoint.LoadForTokenClassification(directory, numLabels, requireHead, classifierDropout),
            "roberta" => RobertaCheckpoint.LoadForTokenClassification(directory, numLabels, requireHead, classifierDropout),
            "distilbert" => DistilBertCheckpoint.LoadForTokenClassification(directory, numLabels, requireHead, classifierDropout),
            var other => throw Unsupported(directory, other),
        };

    /// <summary>
    /// The extractive-QA model of the checkpoint's family (HF <c>AutoModelForQuestionAnswering</c>: <c>bert.</c>/<c>roberta.</c>/
    /// <c>distilbert.</c> encoder keys + <c>qa_outputs</c>). Without a stored <c>qa_outputs</c> the head starts fresh from
    /// torch's current seed, unless <paramref name="requireHead"/> (answering with the checkpoint as it is).
    /// </summary>
    public static QuestionAnsweringModel LoadForQuestionAnswering(string directory, bool requireHead) => ReadInfo(directory).ModelType switch
    {
        "bert" => BertCheckpoint.LoadForQuestionAnswering(directory, allowFreshHead: !requireHead),
        "roberta" => RobertaCheckpoint.LoadForQuestionAnswering(directory, requireHead),
        "distilbert" => DistilBertCheckpoint.LoadForQuestionAnswering(directory, requireHead),
        var other => throw Unsupported(directory, other),
    };

    /// <summary>
    /// The bare encoder of the checkpoint's family (HF <c>AutoModel</c>), task heads in the file skipped. With
    /// <paramref name="withPooler"/> the pooler must be stored; families without one (DistilBERT, RoBERTa task checkpoints)
    /// get an error naming the model type. The returned object is an <see cref="nn.Module"/> too (dispose it).
    /// </summary>
    public static IEncoderModel LoadEncoder(string directory, bool withPooler)
    {
        var modelType = ReadInfo(directory).ModelType;
        return modelType switch
        {
            "bert" => BertCheckpoint.LoadEncoder(directory, withPooler),
            "roberta" => RobertaCheckpoint.LoadEncoder(directory, withPooler),
            "distilbert" => withPooler
                ? throw new InvalidOperationException($"Checkpoint '{directory}' has model_type 'distilbert', which has no pooler: use Cls or Mean pooling.")
                : DistilBertCheckpoint.LoadEncoder(directory),
            var other => throw Unsupported(directory, other),
        };
    }

    /// <summary>The hidden size config.json declares (hidden_size, or DistilBERT's dim), without loading weights.</summary>
    public static int ReadHiddenSize(string directory) => ReadInfo(directory).ModelType switch
    {
        "bert" => BertCheckpoint.ReadConfig(directory).HiddenSize,
        "roberta" => RobertaCheckpoint.ReadConfig(directory).HiddenSize,
        "distilbert" => DistilBertCheckpoint.ReadConfig(directory).Dim,
        var other => throw Unsupported(directory, other),
    };

    /// <summary>Writes a bare encoder in its family's HF layout (config.json + model.safetensors, architecture e.g. "RobertaModel").</summary>
    public static void SaveEncoder(IEncoderModel model, string directory)
    {
        switch (model)
        {
            case BertModel bert: BertCheckpoint.Save(bert, bert.Config, directory, "BertModel"); break;
            case RobertaModel roberta: RobertaCheckpoint.Save(roberta, roberta.Config, directory, "RobertaModel"); break;
            case DistilBertModel distil: DistilBertCheckpoint.Save(distil, distil.Config, directory, "DistilBertModel"); break;
            default: throw new NotSupportedException($"No checkpoint layout for {model.GetType().Name}.");
        }
    }

    /// <summary>
    /// The masked-LM of a RoBERTa or DistilBERT checkpoint (HF <c>AutoModelForMaskedLM</c>); BERT's goes through
    /// <see cref="BertCheckpoint.LoadForPreTraining"/>. The head must be stored unless <paramref name="allowFreshHead"/>
    /// (continuing pretraining from an encoder-only checkpoint). The returned object is an <see cref="nn.Module"/> too.
    /// </summary>
    public static IMaskedLanguageModel LoadForMaskedLM(string directory, bool allowFreshHead = false) => ReadInfo(directory).ModelType switch
    {
        "roberta" => RobertaCheckpoint.LoadForMaskedLM(directory, allowFreshHead),
        "distilbert" => DistilBertCheckpoint.LoadForMaskedLM(directory, allowFreshHead),
        var other => throw Unsupported(directory, other),
    };

    /// <summary>The tokenizer of the checkpoint's family (HF <c>AutoTokenizer</c>), checked against the model's vocab_size.</summary>
    public static IEncoderTokenizer LoadTokenizer(string directory) => ReadInfo(directory).ModelType switch
    {
        "bert" => LoadBertTokenizer(directory),
        "distilbert" => LoadDistilBertTokenizer(directory),
        "roberta" => LoadRobertaTokenizer(directory),
        var other => throw Unsupported(directory, other),
    };

    private static BertWordPieceTokenizer LoadDistilBertTokenizer(string directory)
    {
        var tokenizer = BertWordPieceTokenizer.FromDirectory(directory);   // DistilBERT uses BERT's WordPiece unchanged
        var config = DistilBertCheckpoint.ReadConfig(directory);
        if (tokenizer.VocabularySize != config.VocabSize)
            throw new InvalidOperationException($"vocab.txt in {directory} has {tokenizer.VocabularySize} tokens but config.json says vocab_size = {config.VocabSize}.");
        return tokenizer;
    }

    private static RobertaBpeTokenizer LoadRobertaTokenizer(string directory)
    {
        var tokenizer = RobertaBpeTokenizer.FromDirectory(directory);
        var config = RobertaCheckpoint.ReadConfig(directory);
        if (tokenizer.VocabularySize != config.VocabSize)
            throw new InvalidOperationException($"vocab.json in {directory} has {tokenizer.VocabularySize} tokens but config.json says vocab_size = {config.VocabSize}.");
        tokenizer.RequireIdsWithin(config.VocabSize, directory);
        return tokenizer;
    }

    // RoBERTa's and DistilBERT's sequence heads are their own (classifier.dense/out_proj; pre_classifier/classifier), read at
    // the first token; ClassificationHead.Cls (BERT without its pooler) has no counterpart in their HF layouts.
    private static double? RequireHfHead(ClassificationHead head, string modelType, double? dropout) => head == ClassificationHead.Pooler ? dropout
        : throw new NotSupportedException($"Head = {head} applies to BERT only; model_type '{modelType}' always uses its Hugging Face head (leave Head at Pooler).");

    private static BertWordPieceTokenizer LoadBertTokenizer(string directory)
    {
        var tokenizer = BertWordPieceTokenizer.FromDirectory(directory);
        BertCheckpoint.RequireVocabularySize(tokenizer.VocabularySize, BertCheckpoint.ReadConfig(directory), directory);
        return tokenizer;
    }

    private static NotSupportedException Unsupported(string directory, string modelType) => new(
        $"Checkpoint '{directory}' has model_type '{modelType}'; supported encoder families: {string.Join(", ", SupportedModelTypes)}.");
}
