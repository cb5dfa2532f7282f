using MLNet.Transformers.Onnx;
using MLNet.Transformers.Onnx.Import;
using MLNet.Transformers.Tokenization;

namespace MLNet.Transformers.Models.DistilBert;

/// <summary>DistilBERT's registration (model_type "distilbert"): BERT's WordPiece, <c>distilbert.</c> keys, no token types, no pooler.</summary>
internal sealed class DistilBertFamily : EncoderFamily
{
    /// <summary>The registered instance.</summary>
    public static DistilBertFamily Instance { get; } = new();

    private DistilBertFamily() { }

    /// <inheritdoc/>
    public override string ModelType => "distilbert";

    /// <inheritdoc/>
    public override EncoderKeyMap Keys => DistilBertCheckpoint.Keys;

    /// <inheritdoc/>
    public override bool HasWordPieceContinuations => true;

    /// <inheritdoc/>
    public override int ReadHiddenSize(string directory) => DistilBertCheckpoint.ReadConfig(directory).Dim;

    /// <summary>BERT's WordPiece unchanged, checked against DistilBERT's vocab_size.</summary>
    public override IEncoderTokenizer LoadTokenizer(string directory)
    {
        var tokenizer = BertWordPieceTokenizer.FromDirectory(directory);
        var config = DistilBertCheckpoint.ReadConfig(directory);
        RequireVocabularySize("vocab.txt", tokenizer.VocabularySize, config.VocabSize, directory);
        return tokenizer;
    }

    /// <inheritdoc/>
    public override IEncoderModel LoadEncoder(string directory, bool withPooler) => withPooler
        ? throw new InvalidOperationException($"Checkpoint '{directory}' has model_type 'distilbert', which has no pooler: use Cls or Mean pooling.")
        : DistilBertCheckpoint.LoadEncoder(directory);

    /// <inheritdoc/>
    public override bool Owns(IEncoderModel model) => model is DistilBertModel;

    /// <inheritdoc/>
    public override void SaveEncoder(IEncoderModel model, string directory)
    {
        var distil = (DistilBertModel)model;
        DistilBertCheckpoint.Save(distil, distil.Config, directory, "DistilBertModel");
    }

    /// <summary>DistilBERT's own head (pre_classifier → ReLU → classifier on the first token); <see cref="ClassificationHead.Cls"/> has no counterpart.</summary>
    public override EncoderClassifier LoadForSequenceClassification(string directory, int numLabels, ClassificationHead head, bool requireHead, double? classifierDropout) =>
        head == ClassificationHead.Pooler ? DistilBertCheckpoint.LoadForSequenceClassification(directory, numLabels, requireHead, classifierDropout)
            : throw HeadIsBertOnly(head);

    /// <inheritdoc/>
    public override EncoderClassifier LoadForTokenClassification(string directory, int numLabels, bool requireHead, double? classifierDropout) =>
        DistilBertCheckpoint.LoadForTokenClassification(directory, numLabels, requireHead, classifierDropout);

    /// <inheritdoc/>
    public override QuestionAnsweringModel LoadForQuestionAnswering(string directory, bool requireHead) =>
        DistilBertCheckpoint.LoadForQuestionAnswering(directory, requireHead);

    /// <inheritdoc/>
    public override LoadedMaskedLanguageModel LoadForMaskedLM(string directory, bool allowFreshHead, bool nextSentencePrediction = false)
    {
        var model = DistilBertCheckpoint.LoadForMaskedLM(directory, allowFreshHead);
        return new(model, model);
    }

    /// <inheritdoc/>
    public override OnnxEncoder OnnxLayout(IEncoderModel encoder, string prefix)
    {
        var c = ((DistilBertModel)encoder).Config;
        return new(ModelType, prefix, c.NLayers, c.NHeads, c.Dim, c.Activation, c.LayerNormEps,
            RobertaPaddingIdx: null, TokenTypes: false, "transformer.layer", OnnxLayerKeys.DistilBert);
    }

    /// <summary>pre_classifier → ReLU → classifier (HF <c>DistilBertForSequenceClassification</c>).</summary>
    public override string WriteOnnxSequenceHead(OnnxLayers layers, EncoderClassifier model, string first) =>
        layers.Linear(layers.Graph.Node("Relu", [layers.Linear(first, "pre_classifier", quantize: false)]), "classifier", quantize: false);

    /// <summary>DistilBERT graphs have <c>transformer.layer.*</c> weights.</summary>
    public override OnnxImportFamily OnnxImport { get; } = new("distilbert", "transformer.layer", OnnxLayerKeys.DistilBert, TokenTypes: false, MayHavePooler: false,
        (keys, _) => OnnxImportFamily.HasLayers(keys, "transformer.layer"),
        (s, _, _) => new DistilBertConfig
        {
            Architectures = ["DistilBertModel"], VocabSize = s.VocabSize, MaxPositionEmbeddings = s.MaxPositions, NLayers = s.Layers, NHeads = s.Heads,
            Dim = s.HiddenSize, HiddenDim = s.IntermediateSize, Activation = s.Activation,
        });
}
