using System.Text.Json.Nodes;
using MLNet.Transformers.Checkpoints;
using MLNet.Transformers.Models.Bert;
using MLNet.Transformers.Tokenization;
using static TorchSharp.torch;

namespace MLNet.Transformers.Models;

/// <summary>What a checkpoint says about itself before any weight is loaded.</summary>
/// <param name="ModelType">config.json's <c>model_type</c> (e.g. "bert").</param>
/// <param name="Id2Label">Class names of its classifier by index (HF <c>id2label</c>), or null.</param>
/// <param name="ProblemType">HF <c>problem_type</c>, or null.</param>
/// <param name="HeadOutputs">Rows of the stored <c>classifier.weight</c> (the head's class count), or null when it has no classifier.</param>
internal sealed record EncoderCheckpointInfo(string ModelType, IReadOnlyList<string>? Id2Label, string? ProblemType, int? HeadOutputs);

/// <summary>
/// Turns a checkpoint folder into a model and tokenizer by config.json's <c>model_type</c>, as Hugging Face's
/// <c>AutoModelFor…</c>/<c>AutoTokenizer</c> do: each call asks the registry (<c>EncoderFamilies</c>) for the folder's family.
/// A new encoder family registers itself there; nothing here changes.
/// </summary>
internal static class EncoderCheckpoint
{
    /// <summary>The model types of the registered encoder families.</summary>
    public static IReadOnlyList<string> SupportedModelTypes => EncoderFamilies.ModelTypes;

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
    /// (unless <paramref name="requireHead"/>). <see cref="ClassificationHead.Cls"/> applies to BERT only (the other families' HF heads are their own).
    /// </summary>
    public static EncoderClassifier LoadForSequenceClassification(string directory, int numLabels, ClassificationHead head = ClassificationHead.Pooler,
        bool requireHead = false, double? classifierDropout = null) =>
        EncoderFamilies.Of(directory).LoadForSequenceClassification(directory, numLabels, head, requireHead, classifierDropout);

    /// <summary>The token-classification model of the checkpoint's family (HF <c>AutoModelForTokenClassification</c>).</summary>
    public static EncoderClassifier LoadForTokenClassification(string directory, int numLabels, bool requireHead = false, double? classifierDropout = null) =>
        EncoderFamilies.Of(directory).LoadForTokenClassification(directory, numLabels, requireHead, classifierDropout);

    /// <summary>
    /// The extractive-QA model of the checkpoint's family (HF <c>AutoModelForQuestionAnswering</c>: the family's encoder keys
    /// + <c>qa_outputs</c>). Without a stored <c>qa_outputs</c> the head starts fresh from torch's current seed, unless
    /// <paramref name="requireHead"/> (answering with the checkpoint as it is).
    /// </summary>
    public static QuestionAnsweringModel LoadForQuestionAnswering(string directory, bool requireHead) =>
        EncoderFamilies.Of(directory).LoadForQuestionAnswering(directory, requireHead);

    /// <summary>
    /// The bare encoder of the checkpoint's family (HF <c>AutoModel</c>), task heads in the file skipped. With
    /// <paramref name="withPooler"/> the pooler must be stored; families without one (DistilBERT, RoBERTa task checkpoints)
    /// get an error naming the model type. The returned object is an <see cref="nn.Module"/> too (dispose it).
    /// </summary>
    public static IEncoderModel LoadEncoder(string directory, bool withPooler) => EncoderFamilies.Of(directory).LoadEncoder(directory, withPooler);

    /// <summary>The hidden size config.json declares (hidden_size, or DistilBERT's dim), without loading weights.</summary>
    public static int ReadHiddenSize(string directory) => EncoderFamilies.Of(directory).ReadHiddenSize(directory);

    /// <summary>Writes a bare encoder in its family's HF layout (config.json + model.safetensors, architecture e.g. "RobertaModel").</summary>
    public static void SaveEncoder(IEncoderModel model, string directory) => EncoderFamilies.Of(model).SaveEncoder(model, directory);

    /// <summary>
    /// The masked-LM of a RoBERTa or DistilBERT checkpoint (HF <c>AutoModelForMaskedLM</c>); BERT's goes through
    /// <see cref="BertCheckpoint.LoadForPreTraining"/>. The head must be stored unless <paramref name="allowFreshHead"/>
    /// (continuing pretraining from an encoder-only checkpoint). The returned object is an <see cref="nn.Module"/> too.
    /// </summary>
    public static IMaskedLanguageModel LoadForMaskedLM(string directory, bool allowFreshHead = false)
    {
        var family = EncoderFamilies.Of(directory);
        if (family.HasNextSentencePrediction)   // its masked-LM is a view of the pretraining model, not a module of its own
            throw new NotSupportedException($"Checkpoint '{directory}' has model_type '{family.ModelType}': load it with BertCheckpoint.LoadForPreTraining.");
        return family.LoadForMaskedLM(directory, allowFreshHead).Model;
    }

    /// <summary>The tokenizer of the checkpoint's family (HF <c>AutoTokenizer</c>), checked against the model's vocab_size.</summary>
    public static IEncoderTokenizer LoadTokenizer(string directory) => EncoderFamilies.Of(directory).LoadTokenizer(directory);
}
