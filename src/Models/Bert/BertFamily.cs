using MLNet.Transformers.Onnx;
using MLNet.Transformers.Onnx.Import;
using MLNet.Transformers.Tokenization;

namespace MLNet.Transformers.Models.Bert;

/// <summary>BERT's registration (model_type "bert"): WordPiece, <c>bert.</c> keys, pooler, MLM + NSP pretraining heads.</summary>
internal sealed class BertFamily : EncoderFamily
{
    /// <summary>The registered instance.</summary>
    public static BertFamily Instance { get; } = new();

    private BertFamily() { }

    /// <inheritdoc/>
    public override string ModelType => "bert";

    /// <inheritdoc/>
    public override EncoderKeyMap Keys => BertCheckpoint.Keys;

    /// <inheritdoc/>
    public override bool HasWordPieceContinuations => true;

    /// <inheritdoc/>
    public override bool HasNextSentencePrediction => true;

    /// <inheritdoc/>
    public override int ReadHiddenSize(string directory) => BertCheckpoint.ReadConfig(directory).HiddenSize;

    /// <inheritdoc/>
    public override IEncoderTokenizer LoadTokenizer(string directory)
    {
        var tokenizer = BertWordPieceTokenizer.FromDirectory(directory);
        BertCheckpoint.RequireVocabularySize(tokenizer.VocabularySize, BertCheckpoint.ReadConfig(directory), directory);
        return tokenizer;
    }

    /// <inheritdoc/>
    public override IEncoderModel LoadEncoder(string directory, bool withPooler) => BertCheckpoint.LoadEncoder(directory, withPooler);

    /// <inheritdoc/>
    public override bool Owns(IEncoderModel model) => model is BertModel;

    /// <inheritdoc/>
    public override void SaveEncoder(IEncoderModel model, string directory)
    {
        var bert = (BertModel)model;
        BertCheckpoint.Save(bert, bert.Config, directory, "BertModel");
    }

    /// <inheritdoc/>
    public override EncoderClassifier LoadForSequenceClassification(string directory, int numLabels, ClassificationHead head, bool requireHead, double? classifierDropout) =>
        BertCheckpoint.LoadForSequenceClassification(directory, numLabels, head, requireHead, classifierDropout);

    /// <inheritdoc/>
    public override EncoderClassifier LoadForTokenClassification(string directory, int numLabels, bool requireHead, double? classifierDropout) =>
        BertCheckpoint.LoadForTokenClassification(directory, numLabels, requireHead, classifierDropout);

    /// <inheritdoc/>
    public override QuestionAnsweringModel LoadForQuestionAnswering(string directory, bool requireHead) =>
        BertCheckpoint.LoadForQuestionAnswering(directory, allowFreshHead: !requireHead);

    /// <summary>BERT's pretraining model (MLM head; NSP head when stored, or fresh when <paramref name="nextSentencePrediction"/>).</summary>
    public override LoadedMaskedLanguageModel LoadForMaskedLM(string directory, bool allowFreshHead, bool nextSentencePrediction = false)
    {
        var model = BertCheckpoint.LoadForPreTraining(directory, nextSentencePrediction ? true : null, allowFreshHeads: allowFreshHead);
        return new(model, new BertMaskedLanguageModel(model));
    }

    /// <inheritdoc/>
    public override OnnxEncoder OnnxLayout(IEncoderModel encoder, string prefix) => PostLayerNormLayout(((BertModel)encoder).Config, ModelType, prefix, null);

    /// <summary>The ONNX layout of a BERT-shaped encoder (BERT's layers; RoBERTa adds its padding index to the positions).</summary>
    internal static OnnxEncoder PostLayerNormLayout(BertConfig c, string modelType, string prefix, long? robertaPaddingIdx) =>
        new(modelType, prefix, c.NumHiddenLayers, c.NumAttentionHeads, c.HiddenSize, c.HiddenAct, c.LayerNormEps,
            robertaPaddingIdx, TokenTypes: true, "encoder.layer", OnnxLayerKeys.Bert);

    /// <summary>HF's head: pooler (dense + tanh on [CLS]) → classifier; or <see cref="ClassificationHead.Cls"/>: classifier on [CLS].</summary>
    public override string WriteOnnxSequenceHead(OnnxLayers layers, EncoderClassifier model, string first) =>
        model is BertForSequenceClassification { Head: ClassificationHead.Pooler }
            ? layers.Linear(layers.Graph.Node("Tanh", [layers.Linear(first, "bert.pooler.dense")]), "classifier", quantize: false)
            : layers.Linear(first, "classifier", quantize: false);

    /// <summary>BERT graphs have <c>encoder.layer.*</c> weights and positions 0…T−1 (no <c>CumSum</c>, which marks RoBERTa).</summary>
    public override OnnxImportFamily OnnxImport { get; } = new("bert", "encoder.layer", OnnxLayerKeys.Bert, TokenTypes: true, MayHavePooler: true,
        (keys, graph) => OnnxImportFamily.HasLayers(keys, "encoder.layer") && !OnnxImportFamily.HasLayers(keys, "transformer.layer") && !graph.Has("CumSum"),
        (shape, weights, _) => ImportedConfig(shape, weights, "bert", "BertModel", padTokenId: 0));

    /// <summary>The BERT-shaped config.json of an imported encoder (BERT's and RoBERTa's).</summary>
    internal static BertConfig ImportedConfig(ImportedEncoderShape s, IReadOnlyDictionary<string, ImportedWeight> weights, string modelType, string architecture, int padTokenId) => new()
    {
        ModelType = modelType, Architectures = [architecture],
        VocabSize = s.VocabSize, HiddenSize = s.HiddenSize, NumHiddenLayers = s.Layers, NumAttentionHeads = s.Heads, IntermediateSize = s.IntermediateSize,
        HiddenAct = s.Activation, MaxPositionEmbeddings = s.MaxPositions, LayerNormEps = s.LayerNormEps,
        TypeVocabSize = (int)weights["embeddings.token_type_embeddings.weight"].Shape[0], PadTokenId = padTokenId,
    };
}
