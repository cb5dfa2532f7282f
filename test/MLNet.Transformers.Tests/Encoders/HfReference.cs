using static TorchSharp.torch;

namespace MLNet.Transformers.Tests.Encoders;

/// <summary>
/// An independent float64 implementation of HF's modeling_roberta.py and modeling_distilbert.py forward passes (eval mode),
/// written line by line from those files with plain tensor ops (matmul, softmax, erf) — no module of the library under test.
/// </summary>
internal static class HfReference
{
    private static Tensor Linear(Dictionary<string, Tensor> w, string name, Tensor x) => x.matmul(w[name + ".weight"].t()) + w[name + ".bias"];

    private static Tensor LayerNorm(Dictionary<string, Tensor> w, string name, Tensor x, double eps)
    {
        var mean = x.mean([-1L], keepdim: true);
        var variance = (x - mean).pow(2).mean([-1L], keepdim: true);          // biased, as torch.nn.LayerNorm
        return (x - mean) / (variance + eps).sqrt() * w[name + ".weight"] + w[name + ".bias"];
    }

    private static Tensor Gelu(Tensor x) => x * 0.5 * (1.0 + (x / Math.Sqrt(2.0)).erf());      // ACT2FN["gelu"]: exact erf

    // softmax(q k^T / sqrt(hs) + (1 - mask) * finfo.min) v over (B, nh, T, hs); HF's extended attention mask.
    private static Tensor Attention(Tensor q, Tensor k, Tensor v, Tensor mask, int heads)
    {
        long b = q.shape[0], t = q.shape[1], hs = q.shape[2] / heads;
        Tensor Split(Tensor x) => x.view(b, t, heads, hs).permute(0, 2, 1, 3);
        var scores = Split(q).matmul(Split(k).transpose(-1, -2)) / Math.Sqrt(hs);
        scores = scores + (1.0 - mask.to(ScalarType.Float64)).view(b, 1, 1, t) * double.MinValue;
        var context = scores.softmax(-1).matmul(Split(v));                                    // (B, nh, T, hs)
        return context.permute(0, 2, 1, 3).reshape(b, t, heads * hs);
    }

    /// <summary>RobertaModel: (B, T) ids and mask → last hidden state (B, T, H) and pooler output (B, H).</summary>
    public static (Tensor Hidden, Tensor Pooled) Roberta(Dictionary<string, Tensor> w, Tensor ids, Tensor mask, long padId = 1, double eps = 1e-5)
    {
        // create_position_ids_from_input_ids: mask = ids.ne(pad); cumsum(mask) * mask + padding_idx
        var notPad = ids.ne(padId).to(ScalarType.Int64);
        var positions = notPad.cumsum(1) * notPad + padId;
        var x = w["roberta.embeddings.word_embeddings.weight"][ids] + w["roberta.embeddings.position_embeddings.weight"][positions]
              + w["roberta.embeddings.token_type_embeddings.weight"][zeros_like(ids)];
        x = LayerNorm(w, "roberta.embeddings.LayerNorm", x, eps);
        for (int i = 0; i < EncoderFixture.Layers; i++)
        {
            var p = $"roberta.encoder.layer.{i}.";
            var context = Attention(Linear(w, p + "attention.self.query", x), Linear(w, p + "attention.self.key", x), Linear(w, p + "attention.self.value", x), mask, EncoderFixture.Heads);
            var attended = LayerNorm(w, p + "attention.output.LayerNorm", Linear(w, p + "attention.output.dense", context) + x, eps);
            var intermediate = Gelu(Linear(w, p + "intermediate.dense", attended));
            x = LayerNorm(w, p + "output.LayerNorm", Linear(w, p + "output.dense", intermediate) + attended, eps);
        }
        var pooled = Linear(w, "roberta.pooler.dense", x.select(1, 0)).tanh();
        return (x, pooled);
    }

    /// <summary>RobertaClassificationHead: out_proj(tanh(dense(h[:, 0]))).</summary>
    public static Tensor RobertaSequenceLogits(Dictionary<string, Tensor> w, Tensor hidden) =>
        Linear(w, "classifier.out_proj", Linear(w, "classifier.dense", hidden.select(1, 0)).tanh());

    /// <summary>RobertaLMHead: decoder(layer_norm(gelu(dense(h)))) + bias, decoder tied to the word embeddings.</summary>
    public static Tensor RobertaMlmLogits(Dictionary<string, Tensor> w, Tensor hidden, double eps = 1e-5) =>
        LayerNorm(w, "lm_head.layer_norm", Gelu(Linear(w, "lm_head.dense", hidden)), eps).matmul(w["roberta.embeddings.word_embeddings.weight"].t()) + w["lm_head.bias"];

    /// <summary>DistilBertModel: (B, T) ids and mask → last hidden state (B, T, D).</summary>
    public static Tensor DistilBert(Dictionary<string, Tensor> w, Tensor ids, Tensor mask)
    {
        const double eps = 1e-12;
        var positions = arange(ids.shape[1], dtype: ScalarType.Int64).unsqueeze(0).expand_as(ids);
        var x = LayerNorm(w, "distilbert.embeddings.LayerNorm",
            w["distilbert.embeddings.word_embeddings.weight"][ids] + w["distilbert.embeddings.position_embeddings.weight"][positions], eps);
        for (int i = 0; i < EncoderFixture.Layers; i++)
        {
            var p = $"distilbert.transformer.layer.{i}.";
            // MultiHeadSelfAttention scales q by 1/sqrt(dim_per_head) before q k^T: the same product as dividing the scores.
            var context = Attention(Linear(w, p + "attention.q_lin", x), Linear(w, p + "attention.k_lin", x), Linear(w, p + "attention.v_lin", x), mask, EncoderFixture.Heads);
            var sa = LayerNorm(w, p + "sa_layer_norm", Linear(w, p + "attention.out_lin", context) + x, eps);
            var ffn = Linear(w, p + "ffn.lin2", Gelu(Linear(w, p + "ffn.lin1", sa)));
            x = LayerNorm(w, p + "output_layer_norm", ffn + sa, eps);
        }
        return x;
    }

    /// <summary>DistilBertForSequenceClassification: classifier(relu(pre_classifier(h[:, 0]))).</summary>
    public static Tensor DistilBertSequenceLogits(Dictionary<string, Tensor> w, Tensor hidden) =>
        Linear(w, "classifier", Linear(w, "pre_classifier", hidden.select(1, 0)).relu());

    /// <summary>DistilBertForMaskedLM: vocab_projector(vocab_layer_norm(gelu(vocab_transform(h)))), projector tied.</summary>
    public static Tensor DistilBertMlmLogits(Dictionary<string, Tensor> w, Tensor hidden) =>
        LayerNorm(w, "vocab_layer_norm", Gelu(Linear(w, "vocab_transform", hidden)), 1e-12).matmul(w["distilbert.embeddings.word_embeddings.weight"].t()) + w["vocab_projector.bias"];

    /// <summary>A token head (classifier or qa_outputs) applied to every position.</summary>
    public static Tensor TokenLogits(Dictionary<string, Tensor> w, string name, Tensor hidden) => Linear(w, name, hidden);

    public static void AssertClose(Tensor expected, Tensor actual, string what, double tolerance = 1e-4)
    {
        Assert.IsTrue(expected.shape.SequenceEqual(actual.shape), $"{what}: shape [{string.Join(",", actual.shape)}] vs expected [{string.Join(",", expected.shape)}]");
        double diff = (expected.to(ScalarType.Float64) - actual.to(ScalarType.Float64)).abs().max().item<double>();
        Assert.IsTrue(diff < tolerance, $"{what}: max |diff| = {diff:E2}");
    }
}
