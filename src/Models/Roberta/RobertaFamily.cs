using MLNet.Transformers.Models.Bert;
using MLNet.Transformers.Onnx;
using MLNet.Transformers.Onnx.Import;
using MLNet.Transformers.Tokenization;

namespace MLNet.Transformers.Models.Roberta;

/// <summary>RoBERTa's registration (model_type "roberta"): byte-level BPE, <c>roberta.</c> keys, BERT's layers with positions from the padding index.</summary>
internal sealed class RobertaFamily : EncoderFamily
{
    /// <summary>The registered instance.</summary>
    public static RobertaFamily Instance { get; } = new();

    private RobertaFamily() { }

    /// <inheritdoc/>
    public override string ModelType => "roberta";

    /// <inheritdoc/>
    public override EncoderKeyMap Keys => RobertaCheckpoint.Keys;

    /// <inheritdoc/>
    public override bool HasWordPieceContinuations => false;

    /// <inheritdoc/>
    public override int ReadHiddenSize(string directory) => RobertaCheckpoint.ReadConfig(directory).HiddenSize;

    /// <inheritdoc/>
    public override IEncoderTokenizer LoadTokenizer(string directory)
    {
        var tokenizer = RobertaBpeTokenizer.FromDirectory(directory);
        var config = RobertaCheckpoint.ReadConfig(directory);
        RequireVocabularySize("vocab.json", tokenizer.VocabularySize, config.VocabSize, directory);
        tokenizer.RequireIdsWithin(config.VocabSize, directory);
        return tokenizer;
    }

    /// <inheritdoc/>
    public override IEncoderModel LoadEncoder(string directory, bool withPooler) => RobertaCheckpoint.LoadEncoder(directory, withPooler);

    /// <inheritdoc/>
    public override bool Owns(IEncoderModel model) => model is RobertaModel;

    /// <inheritdoc/>
    public override void SaveEncoder(IEncoderModel model, string directory)
    {
        var roberta = (RobertaModel)model;
        RobertaCheckpoint.Save(roberta, roberta.Config, directory, "RobertaModel");
    }

    /// <summary>RoBERTa's own head (classifier.dense → tanh → classifier.out_proj on the first token); <see cref="ClassificationHead.Cls"/> has no counterpart.</summary>
    public override EncoderClassifier LoadForSequenceClassification(string directory, int numLabels, ClassificationHead head, bool requireHead, double? classifierDropout) =>
        head == ClassificationHead.Pooler ? RobertaCheckpoint.LoadForSequenceClassification(directory, numLabels, requireHead, classifierDropout)
            : throw HeadIsBertOnly(head);

    /// <inheritdoc/>
    public override EncoderClassifier LoadForTokenClassification(string directory, int numLabels, bool requireHead, double? classifierDropout) =>
        RobertaCheckpoint.LoadForTokenClassification(directory, numLabels, requireHead, classifierDropout);

    /// <inheritdoc/>
    public override QuestionAnsweringModel LoadForQuestionAnswering(string directory, bool requireHead) =>
        RobertaCheckpoint.LoadForQuestionAnswering(directory, requireHead);

    /// <inheritdoc/>
    public override LoadedMaskedLanguageModel LoadForMaskedLM(string directory, bool allowFreshHead, bool nextSentencePrediction = false)
    {
        var model = RobertaCheckpoint.LoadForMaskedLM(directory, allowFreshHead);
        return new(model, model);
    }

    /// <inheritdoc/>
    public override OnnxEncoder OnnxLayout(IEncoderModel encoder, string prefix)
    {
        var config = ((RobertaModel)encoder).Config;
        return BertFamily.PostLayerNormLayout(config, ModelType, prefix, robertaPaddingIdx: config.PadTokenId);
    }

    /// <summary>classifier.dense → tanh → classifier.out_proj (HF <c>RobertaClassificationHead</c>).</summary>
    public override string WriteOnnxSequenceHead(OnnxLayers layers, EncoderClassifier model, string first) =>
        layers.Linear(layers.Graph.Node("Tanh", [layers.Linear(first, "classifier.dense", quantize: false)]), "classifier.out_proj", quantize: false);

    /// <summary>RoBERTa graphs have BERT's <c>encoder.layer.*</c> keys and positions counted from the padding index (a <c>CumSum</c>, HF's <c>create_position_ids_from_input_ids</c>).</summary>
    public override OnnxImportFamily OnnxImport { get; } = new("roberta", "encoder.layer", OnnxLayerKeys.Bert, TokenTypes: true, MayHavePooler: true,
        (keys, graph) => OnnxImportFamily.HasLayers(keys, "encoder.layer") && !OnnxImportFamily.HasLayers(keys, "transformer.layer") && graph.Has("CumSum"),
        (shape, weights, graph) => BertFamily.ImportedConfig(shape, weights, "roberta", "RobertaModel", (int)OnnxConfigInference.RobertaPaddingIndex(graph)));
}
