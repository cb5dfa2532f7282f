using MLNet.Transformers.Models;
using MLNet.Transformers.Transforms;
using static TorchSharp.torch;

namespace MLNet.Transformers.Onnx;

/// <summary>
/// Writes an encoder (BERT, RoBERTa, DistilBERT) with or without a task head as an ONNX graph of standard operators
/// (opset 17) that ONNX Runtime runs. Inputs are always <c>input_ids</c>, <c>attention_mask</c>, <c>token_type_ids</c>
/// (int64, [batch, sequence]; see <see cref="OnnxEncoder"/>); outputs depend on the head. Task heads stay fp32 in an
/// int8 export (a few thousand weights; quantizing them saves nothing), the encoder's linear layers (BERT's pooler
/// included) are quantized.
/// </summary>
internal static class EncoderOnnxExporter
{
    private const int Opset = 17;   // LayerNormalization is standard from 17

    /// <summary>
    /// A bare encoder → <c>last_hidden_state</c> [batch, sequence, hidden] and the sentence vector <c>embedding</c>
    /// [batch, hidden] (<paramref name="pooling"/>, then L2-normalised when <paramref name="normalize"/>). Tensors over
    /// <paramref name="externalDataThreshold"/> bytes in all go to ONNX external data (tests lower it; models over 2 GB need it).
    /// </summary>
    public static void ExportEncoder(IEncoderModel encoder, string path, EmbeddingPooling pooling, bool normalize, bool int8,
        long externalDataThreshold = OnnxGraph.DefaultExternalDataThreshold)
    {
        using var scope = NewDisposeScope();
        var l = new OnnxLayers((nn.Module)encoder, int8);
        var g = l.Graph;
        var layout = OnnxEncoder.Of(encoder);
        var x = layout.Write(l, out var maskFloat);
        g.Node("Identity", [x], output: "last_hidden_state");
        g.Output("last_hidden_state", OnnxType.Float, "batch", "sequence", layout.HiddenSize);

        var pooled = pooling switch
        {
            EmbeddingPooling.Cls => l.FirstToken(x),
            EmbeddingPooling.Pooler => l.Has("pooler.dense.weight") ? g.Node("Tanh", [l.Linear(l.FirstToken(x), "pooler.dense")])
                : throw new InvalidOperationException($"Pooler pooling needs the pooler (pooler.dense) of this '{encoder.ModelType}' model."),
            EmbeddingPooling.Mean => l.MaskedMean(x, maskFloat),
            EmbeddingPooling.Max => l.MaskedMax(x, maskFloat),
            _ => throw new ArgumentOutOfRangeException(nameof(pooling), pooling, "Resolve Default pooling before exporting."),
        };
        if (normalize) pooled = l.L2Normalize(pooled);
        g.Node("Identity", [pooled], output: "embedding");
        g.Output("embedding", OnnxType.Float, "batch", layout.HiddenSize);
        g.Save(path, Opset, $"{encoder.ModelType}_encoder", externalDataThreshold);
    }

    /// <summary>
    /// A sequence classifier with its family's head on the first token (written by the family: BERT's pooler → classifier,
    /// RoBERTa's classifier.dense → tanh → classifier.out_proj, DistilBERT's pre_classifier → ReLU → classifier), giving
    /// <c>logits</c> [batch, labels], <c>score</c> [batch, labels] (softmax, or for regression the raw output) and, for
    /// classification, <c>predicted_class</c> [batch] (int64 argmax, 0-based).
    /// </summary>
    public static void ExportSequenceClassifier(EncoderClassifier model, string path, bool regression, bool int8)
    {
        using var scope = NewDisposeScope();
        var l = new OnnxLayers(model, int8);
        var g = l.Graph;
        var layout = EncoderOf(model);
        var first = l.FirstToken(layout.Write(l, out _));                                                      // (B, H)
        var logits = EncoderFamilies.Of(EncoderModelOf(model).Encoder).WriteOnnxSequenceHead(l, model, first);   // (B, L)
        g.Node("Identity", [logits], output: "logits");
        g.Output("logits", OnnxType.Float, "batch", model.NumLabels);
        g.Node(regression ? "Identity" : "Softmax", [logits], regression ? null : [Attr.I("axis", -1)], output: "score");
        g.Output("score", OnnxType.Float, "batch", model.NumLabels);
        if (!regression)
        {
            g.Node("ArgMax", [logits], [Attr.I("axis", -1), Attr.I("keepdims", 0)], output: "predicted_class");
            g.Output("predicted_class", OnnxType.Int64, "batch");
        }
        g.Save(path, Opset, $"{layout.ModelType}_sequence_classifier");
    }

    /// <summary>
    /// A token classifier (every family: the encoder, then <c>classifier</c> on each token) → <c>logits</c>
    /// [batch, sequence, labels] and <c>predicted_class</c> [batch, sequence] (int64 argmax, 0-based).
    /// </summary>
    public static void ExportTokenClassifier(EncoderClassifier model, string path, bool int8)
    {
        using var scope = NewDisposeScope();
        var l = new OnnxLayers(model, int8);
        var g = l.Graph;
        var layout = EncoderOf(model);
        var logits = l.Linear(layout.Write(l, out _), "classifier", quantize: false);                        // (B, T, L)
        g.Node("Identity", [logits], output: "logits");
        g.Output("logits", OnnxType.Float, "batch", "sequence", model.NumLabels);
        g.Node("ArgMax", [logits], [Attr.I("axis", -1), Attr.I("keepdims", 0)], output: "predicted_class");
        g.Output("predicted_class", OnnxType.Int64, "batch", "sequence");
        g.Save(path, Opset, $"{layout.ModelType}_token_classifier");
    }

    /// <summary>
    /// An extractive-QA model (every family: the encoder, then <c>qa_outputs</c> on each token) → <c>start_logits</c> and
    /// <c>end_logits</c> [batch, sequence]. Windowing long contexts and picking spans stay with the caller.
    /// </summary>
    public static void ExportQuestionAnswering(QuestionAnsweringModel model, string path, bool int8)
    {
        using var scope = NewDisposeScope();
        var l = new OnnxLayers(model, int8);
        var g = l.Graph;
        var layout = EncoderOf(model);
        var logits = l.Linear(layout.Write(l, out _), "qa_outputs", quantize: false);                        // (B, T, 2)
        var parts = g.NodeMulti("Split", [logits, g.Ints(1, 1)], 2, [Attr.I("axis", -1)]);                   // 2 × (B, T, 1)
        g.Node("Squeeze", [parts[0], g.Ints(-1)], output: "start_logits");
        g.Node("Squeeze", [parts[1], g.Ints(-1)], output: "end_logits");
        g.Output("start_logits", OnnxType.Float, "batch", "sequence");
        g.Output("end_logits", OnnxType.Float, "batch", "sequence");
        g.Save(path, Opset, $"{layout.ModelType}_question_answering");
    }

    // The encoder inside a task model and its keys' prefix: the child module that is an encoder, under its field name — HF's
    // base_model_prefix ("bert.", "roberta.", "distilbert."). Derived from the module tree, so a new family's heads need no case here.
    private static OnnxEncoder EncoderOf(nn.Module model)
    {
        var (encoder, prefix) = EncoderModelOf(model);
        return OnnxEncoder.Of(encoder, prefix);
    }

    private static (IEncoderModel Encoder, string Prefix) EncoderModelOf(nn.Module model)
    {
        var encoders = model.named_children().Where(c => c.module is IEncoderModel).ToList();
        if (encoders.Count != 1) throw OnnxEncoder.Unsupported(model.GetType().Name);
        return ((IEncoderModel)encoders[0].module, encoders[0].name + ".");
    }
}
