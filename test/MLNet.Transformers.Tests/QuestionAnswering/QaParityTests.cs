using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transformers.Checkpoints;
using MLNet.Transformers.Estimators;
using MLNet.Transformers.Tests.Models;
using MLNet.Transformers.Tokenization;
using static TorchSharp.torch;

namespace MLNet.Transformers.Tests.QuestionAnswering;

/// <summary>
/// maxEpochs: 0 on a BertForQuestionAnswering checkpoint gives HF's answers and scores. The reference here is independent
/// of the library's model and QA code: a plain-tensor float64 forward written from modeling_bert.py (checked first against the
/// fixture's HF outputs), then the pipeline's scoring written as transformers' question_answering.py does it
/// (np.where masking, softmax, outer product with triu/tril, flat ranking of top_k·2+10 spans, word alignment, top-k).
/// </summary>
[TestClass]
public sealed class QaParityTests
{
    private static QaFixture fixture = null!;
    private static Dictionary<string, Tensor> weights = null!;
    private static BertWordPieceTokenizer tokenizer = null!;

    [ClassInitialize]
    public static void Create(TestContext _)
    {
        fixture = new QaFixture();
        weights = CheckpointLoader.LoadStateDict(fixture.Path).ToDictionary(kv => kv.Key, kv => kv.Value.to(ScalarType.Float64));
        tokenizer = BertWordPieceTokenizer.FromDirectory(fixture.Path);
    }

    [ClassCleanup]
    public static void Delete()
    {
        foreach (var t in weights.Values) t.Dispose();
        fixture.Dispose();
    }

    private static readonly (string Question, string Context)[] Examples =
    [
        ("Which NFL team represented the AFC at Super Bowl 50?",
         "Super Bowl 50 was an American football game to determine the champion of the National Football League (NFL) for the 2015 season. " +
         "The American Football Conference (AFC) champion Denver Broncos defeated the National Football Conference (NFC) champion Carolina Panthers 24–10 " +
         "to earn their third Super Bowl title. The game was played on February 7, 2016, at Levi's Stadium in the San Francisco Bay Area at Santa Clara, California."),
        ("Where did the Normans settle?",
         "The Normans (Norman: Nourmands; French: Normands; Latin: Normanni) were the people who in the 10th and 11th centuries gave their name to " +
         "Normandy, a region in France. They were descended from Norse (\"Norman\" comes from \"Norseman\") raiders and pirates from Denmark, Iceland and Norway."),
        ("What is the café called?", "Le  Café   crème, naïve!  東京は 1,5 km — ünïcode and   extra spaces."),
        ("Which word is long?", "Unaffable floccinaucinihilipilification, antidisestablishmentarianism and hippopotomonstrosesquippedaliophobia " +
         "are pneumonoultramicroscopicsilicovolcanoconiosis-like supercalifragilisticexpialidocious words."),
    ];

    [TestMethod]
    public void PlainReference_MatchesTheFixturesHuggingFaceOutputs()
    {
        var expected = BertParityTests.Expected.Load();
        using var scope = NewDisposeScope();
        var hidden = Encode(expected.InputIds, expected.TokenTypeIds, expected.AttentionMask);
        BertParityTests.AssertClose(expected.LastHiddenState, hidden, "plain float64 last_hidden_state");
    }

    [TestMethod]
    [DataRow(null, null, 5, false)]
    [DataRow(48, 16, 3, false)]
    [DataRow(40, null, 4, true)]
    [DataRow(64, 8, 1, true)]
    public void MaxEpochsZero_GivesHuggingFacePipelineAnswersAndScores(int? maxSequenceLength, int? stride, int topK, bool allowNoAnswer)
    {
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(Examples.Select(e => new QuestionAnsweringEstimatorTests.QaInput { Question = e.Question, Context = e.Context }));
        using var model = mlContext.MulticlassClassification.Trainers.QuestionAnswer(new QuestionAnsweringOptions
        {
            CheckpointDirectory = fixture.Path, MaxEpochs = 0, TopK = topK, AllowNoAnswer = allowNoAnswer,
            MaxSequenceLength = maxSequenceLength, DocumentStride = stride, BatchSize = 3,
        }).Fit(data);
        var scored = model.Transform(data);
        var answers = scored.GetColumn<string[]>("Answer").ToArray();
        var scores = scored.GetColumn<float[]>("Score").ToArray();

        int m = maxSequenceLength ?? 64;
        for (int row = 0; row < Examples.Length; row++)
        {
            var reference = Pipeline(Examples[row].Question, Examples[row].Context, m, stride ?? Math.Min(128, m / 2), topK, maxAnswerLength: 15, allowNoAnswer);
            string where = $"row {row}: expected [{string.Join(" | ", reference.Select(r => $"{r.Text} {r.Score:G6}"))}], got [{string.Join(" | ", answers[row].Zip(scores[row]).Select(p => $"{p.First} {p.Second:G6}"))}]";
            CollectionAssert.AreEqual(reference.Select(r => r.Text).ToArray(), answers[row], where);
            for (int k = 0; k < reference.Count; k++)
                Assert.AreEqual(reference[k].Score, scores[row][k], 1e-5 + 1e-4 * reference[k].Score, where);
        }
    }

    // ---- transformers' QuestionAnsweringPipeline (fast tokenizer, question first), written out ----
    private static List<(string Text, double Score)> Pipeline(string question, string context, int maxSeqLen, int docStride, int topK, int maxAnswerLength, bool handleImpossible)
    {
        var q = tokenizer.Tokenize(question);
        var c = tokenizer.Encode(context, maxLength: 100_000);   // [CLS] context [SEP]: ids, offsets and word starts of the context
        int n = c.Length - 2;
        int[] ids = c.InputIds[1..(n + 1)];
        var offsets = c.Offsets[1..(n + 1)];
        var wordIds = new int[n];
        for (int i = 0, w = -1; i < n; i++) { if (c.IsWordStart[i + 1] || i == 0) w++; wordIds[i] = w; }

        int window = maxSeqLen - q.Length - 3;
        Assert.IsTrue(docStride < window, "the reference follows tokenizers only where they accept the stride");
        // tokenizers' overflow: parts start at 0, window − stride, … until one reaches the end.
        var parts = new List<int>();
        for (int s = 0; ; s += window - docStride) { parts.Add(s); if (s + window >= n) break; }

        double minNull = 1_000_000;
        var answers = new List<(string Text, double Score)>();
        foreach (int part in parts)
        {
            int len = Math.Min(window, n - part);
            var input = new long[] { tokenizer.ClsTokenId }.Concat(q.Select(x => (long)x)).Append(tokenizer.SepTokenId)
                .Concat(ids.Skip(part).Take(len).Select(x => (long)x)).Append(tokenizer.SepTokenId).ToArray();
            int T = input.Length, contextStart = q.Length + 2;
            var types = Enumerable.Range(0, T).Select(i => i >= contextStart ? 1L : 0L).ToArray();
            double[] start, end;
            using (NewDisposeScope())
            {
                var hidden = Encode(tensor(input).reshape(1, T), tensor(types).reshape(1, T), ones(1, T, ScalarType.Int64));
                var logits = matmul(hidden[0], weights["qa_outputs.weight"].t()) + weights["qa_outputs.bias"];   // (T, 2)
                start = logits[.., 0].data<double>().ToArray();
                end = logits[.., 1].data<double>().ToArray();
            }
            // p_mask: 1 outside the context, except [CLS]; undesired_tokens = 1 − p_mask (the tokens allowed)
            var allowed = Enumerable.Range(0, T).Select(i => i == 0 || (i >= contextStart && i < contextStart + len)).ToArray();
            start = Normalize(start.Select((x, i) => allowed[i] ? x : -10000.0).ToArray());
            end = Normalize(end.Select((x, i) => allowed[i] ? x : -10000.0).ToArray());
            if (handleImpossible) minNull = Math.Min(minNull, start[0] * end[0]);
            start[0] = end[0] = 0;
            // candidates = np.tril(np.triu(outer), max_answer_len − 1), ranked over the flattened (T × T) matrix
            var flat = new List<(int S, int E, double Score)>();
            for (int i = 0; i < T; i++)
                for (int j = 0; j < T; j++)
                    flat.Add((i, j, j >= i && j - i <= maxAnswerLength - 1 ? start[i] * end[j] : 0));
            foreach (var (s, e, score) in flat.OrderByDescending(x => x.Score).Take(topK * 2 + 10))
            {
                if (!allowed[s] || !allowed[e]) continue;
                Assert.IsTrue(s > 0 && score > 0, "spans starting at [CLS] (score 0) never reach the ranking here");
                // token_to_word / word_to_chars on the window's encoding: the word's tokens inside this window
                int first = s - contextStart + part, last = e - contextStart + part;
                while (first > part && wordIds[first - 1] == wordIds[first]) first--;
                while (last < part + len - 1 && wordIds[last + 1] == wordIds[last]) last++;
                string text = context[offsets[first].Start..offsets[last].End];
                int at = answers.FindIndex(a => a.Text == text);
                if (at < 0) answers.Add((text, score));
                else if (score > answers[at].Score) answers[at] = (text, score);   // the issue: best score per distinct text
            }
        }
        if (handleImpossible) answers.Add(("", minNull));
        return answers.OrderByDescending(a => a.Score).Take(topK).ToList();
    }

    private static double[] Normalize(double[] x)
    {
        double max = x.Max();
        var e = x.Select(v => Math.Exp(v - max)).ToArray();
        double sum = e.Sum();
        return e.Select(v => v / sum).ToArray();
    }

    // ---- modeling_bert.py in float64 with plain tensor ops (eval mode: no dropout) ----
    private static Tensor Encode(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask)
    {
        Tensor W(string name) => weights.TryGetValue("bert." + name, out var t) ? t : weights[name];
        var config = MLNet.Transformers.Models.Bert.BertCheckpoint.ReadConfig(fixture.Path);
        double eps = config.LayerNormEps;
        int heads = config.NumAttentionHeads, hd = config.HiddenSize / heads;
        long b = inputIds.shape[0], T = inputIds.shape[1];
        Tensor Ln(Tensor x, string p) => nn.functional.layer_norm(x, [config.HiddenSize], W(p + ".weight"), W(p + ".bias"), eps);
        Tensor Lin(Tensor x, string p) => matmul(x, W(p + ".weight").t()) + W(p + ".bias");

        var positions = arange(T, dtype: ScalarType.Int64);
        var h = Ln(W("embeddings.word_embeddings.weight")[inputIds] + W("embeddings.position_embeddings.weight")[positions]
                   + W("embeddings.token_type_embeddings.weight")[tokenTypeIds], "embeddings.LayerNorm");
        // extended attention mask: (1 − mask) · dtype min, added to the scores
        var extended = (1.0 - attentionMask.to(ScalarType.Float64)).reshape(b, 1, 1, T) * double.MinValue;
        for (int l = 0; l < config.NumHiddenLayers; l++)
        {
            string p = $"encoder.layer.{l}.";
            Tensor Heads(Tensor x) => x.reshape(b, T, heads, hd).permute(0, 2, 1, 3);
            var qh = Heads(Lin(h, p + "attention.self.query"));
            var kh = Heads(Lin(h, p + "attention.self.key"));
            var vh = Heads(Lin(h, p + "attention.self.value"));
            var scores = matmul(qh, kh.transpose(-1, -2)) / Math.Sqrt(hd) + extended;
            var context = matmul(nn.functional.softmax(scores, -1), vh).permute(0, 2, 1, 3).reshape(b, T, config.HiddenSize);
            var attention = Ln(Lin(context, p + "attention.output.dense") + h, p + "attention.output.LayerNorm");
            var intermediate = Lin(attention, p + "intermediate.dense");
            intermediate = intermediate * 0.5 * (1.0 + special.erf(intermediate / Math.Sqrt(2.0)));   // exact gelu
            h = Ln(Lin(intermediate, p + "output.dense") + attention, p + "output.LayerNorm");
        }
        return h;
    }
}
