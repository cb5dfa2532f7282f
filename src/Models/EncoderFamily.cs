using MLNet.Transformers.Onnx;
using MLNet.Transformers.Onnx.Import;
using MLNet.Transformers.Tokenization;

namespace MLNet.Transformers.Models;

/// <summary>
/// Everything the library knows about one encoder family, in the family's folder (HF's <c>AutoConfig</c>/<c>AutoModel</c>
/// mapping entry): its <c>model_type</c> and key layout, how to read its config and tokenizer, how to build its encoder and task
/// models from a checkpoint, its masked-LM, and its ONNX layout for export and import. Estimators, transformers, the exporter and
/// the importer ask <see cref="EncoderFamilies"/> for a family and call these members; none of them names a family.
/// Every loader checks config.json against memory and the safetensors headers before allocating, and disposes a model whose
/// weights do not load (<see cref="ModuleDisposal.Build"/>).
/// </summary>
internal abstract class EncoderFamily
{
    /// <summary>config.json's <c>model_type</c>, e.g. "roberta".</summary>
    public abstract string ModelType { get; }

    /// <summary>The family's key layout (HF <c>base_model_prefix</c> and head roots).</summary>
    public abstract EncoderKeyMap Keys { get; }

    /// <summary>The hidden size config.json declares (validated), without loading weights.</summary>
    public abstract int ReadHiddenSize(string directory);

    /// <summary>The family's tokenizer (HF <c>AutoTokenizer</c>), checked against config.json's vocab_size.</summary>
    public abstract IEncoderTokenizer LoadTokenizer(string directory);

    /// <summary>Whether the tokenizer marks word continuations with WordPiece's "##" (what whole-word masking needs).</summary>
    public abstract bool HasWordPieceContinuations { get; }

    /// <summary>Whether the family's pretraining has a next-sentence head (BERT's <c>cls.seq_relationship</c>).</summary>
    public virtual bool HasNextSentencePrediction => false;

    /// <summary>The bare encoder (HF <c>AutoModel</c>); with <paramref name="withPooler"/> the pooler must be stored.</summary>
    public abstract IEncoderModel LoadEncoder(string directory, bool withPooler);

    /// <summary>Whether <paramref name="model"/> is this family's bare encoder.</summary>
    public abstract bool Owns(IEncoderModel model);

    /// <summary>Writes this family's bare encoder in HF layout (architecture e.g. "RobertaModel").</summary>
    public abstract void SaveEncoder(IEncoderModel model, string directory);

    /// <summary>HF <c>AutoModelForSequenceClassification</c>; the head starts fresh when the checkpoint has none, unless <paramref name="requireHead"/>.</summary>
    public abstract EncoderClassifier LoadForSequenceClassification(string directory, int numLabels, ClassificationHead head, bool requireHead, double? classifierDropout);

    /// <summary>HF <c>AutoModelForTokenClassification</c>.</summary>
    public abstract EncoderClassifier LoadForTokenClassification(string directory, int numLabels, bool requireHead, double? classifierDropout);

    /// <summary>HF <c>AutoModelForQuestionAnswering</c>: the encoder + <c>qa_outputs</c>.</summary>
    public abstract QuestionAnsweringModel LoadForQuestionAnswering(string directory, bool requireHead);

    /// <summary>
    /// HF <c>AutoModelForMaskedLM</c> (BERT: its pretraining model, NSP head used when stored or when
    /// <paramref name="nextSentencePrediction"/>); the head must be stored unless <paramref name="allowFreshHead"/>.
    /// </summary>
    public abstract LoadedMaskedLanguageModel LoadForMaskedLM(string directory, bool allowFreshHead, bool nextSentencePrediction = false);

    /// <summary>The ONNX layout of this family's encoder <paramref name="encoder"/>, its keys under <paramref name="prefix"/>.</summary>
    public abstract OnnxEncoder OnnxLayout(IEncoderModel encoder, string prefix);

    /// <summary>Writes the sequence head of <paramref name="model"/> on the first token's hidden state <paramref name="first"/> (B, H); returns the logits (B, L).</summary>
    public abstract string WriteOnnxSequenceHead(OnnxLayers layers, EncoderClassifier model, string first);

    /// <summary>How the ONNX importer recognises and maps this family's graphs.</summary>
    public abstract OnnxImportFamily OnnxImport { get; }

    /// <summary>The error for <see cref="ClassificationHead.Cls"/> (BERT without its pooler) on a family whose HF layout has its own sequence head.</summary>
    /// <summary>The tokenizer's vocabulary (read from <paramref name="vocabularyFile"/>) must have config.json's vocab_size tokens.</summary>
    internal static void RequireVocabularySize(string vocabularyFile, int vocabularySize, int configVocabSize, string directory)
    {
        if (vocabularySize != configVocabSize)
            throw new InvalidOperationException($"{vocabularyFile} in {directory} has {vocabularySize} tokens but config.json says vocab_size = {configVocabSize}.");
    }

    protected NotSupportedException HeadIsBertOnly(ClassificationHead head) =>
        new($"Head = {head} applies to BERT only; model_type '{ModelType}' always uses its Hugging Face head (leave Head at Pooler).");
}

/// <summary>
/// A loaded masked-LM: <paramref name="Weights"/> is the module that owns the parameters (dispose it), <paramref name="Model"/>
/// computes the logits — the same object, or a view of it (BERT's pretraining model seen without its NSP head).
/// </summary>
internal sealed record LoadedMaskedLanguageModel(TorchSharp.torch.nn.Module Weights, IMaskedLanguageModel Model);
