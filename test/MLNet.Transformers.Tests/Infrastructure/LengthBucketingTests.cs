using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNet.Transformers.Estimators;
using MLNet.Transformers.Persistence;
using MLNet.Transformers.Tests.Inference;
using MLNet.Transformers.Tests.Models;
using MLNet.Transformers.Transforms;
using MLNet.Transformers.Transforms.Infrastructure;

namespace MLNet.Transformers.Tests.Infrastructure;

[TestClass]
public sealed class LengthBucketingTests
{
    /// <summary>Test-only transformer: word count of a text, bucketed by it; records every batch it scores.</summary>
    private sealed class WordCounter(int batchSize, bool bucketing) : BatchedTransformerBase(batchSize)
    {
        public readonly List<int[]> Batches = new();
        public override IReadOnlyList<InputColumnSpec> InputColumns { get; } = [new("Text", TextDataViewType.Instance)];
        public override IReadOnlyList<OutputColumnSpec> OutputColumns { get; } = [new("Words", NumberDataViewType.Int32)];
        protected internal override bool LengthBucketing => bucketing;
        protected internal override int[]? RowLengths(RowBatch rows) => rows.GetInput<string>("Text").Select(Count).ToArray();
        protected internal override void MapBatch(RowBatch batch)
        {
            var counts = batch.GetInput<string>("Text").Select(Count).ToArray();
            Batches.Add(counts);
            batch.SetOutput("Words", counts);
        }
        protected override void SavePayload(TransformerPayloadWriter writer) => throw new NotSupportedException();
        private static int Count(string s) => s.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
    }

    private sealed class Row { public string Text { get; set; } = ""; public int Id { get; set; } }

    /// <summary>Test-only transformer that encodes rows once for bucketing (EncodeRows) and counts every encoding it makes.</summary>
    private sealed class EncodeOnceCounter(int batchSize) : BatchedTransformerBase(batchSize)
    {
        public int Encodings;
        public int BatchesWithoutEncodings;
        public override IReadOnlyList<InputColumnSpec> InputColumns { get; } = [new("Text", TextDataViewType.Instance)];
        public override IReadOnlyList<OutputColumnSpec> OutputColumns { get; } = [new("Words", NumberDataViewType.Int32)];
        protected internal override bool LengthBucketing => true;
        internal override EncodedRows? EncodeRows(RowBatch rows)
        {
            var encoded = rows.GetInput<string>("Text").Select(Encode).ToArray();
            return new EncodedRows(encoded.Select(e => e.Length).ToArray(), encoded);
        }
        protected internal override void MapBatch(RowBatch batch)
        {
            var texts = batch.GetInput<string>("Text");
            var encoded = batch.Encoded<string[]>();
            if (encoded is null) { BatchesWithoutEncodings++; encoded = texts.Select(Encode).ToArray(); }
            for (int i = 0; i < texts.Length; i++)
                Assert.AreEqual(string.Join(' ', Encode(texts[i])), string.Join(' ', encoded[i]), "each batch gets its own rows' encodings, in its row order");
            batch.SetOutput("Words", encoded.Select(e => e.Length).ToArray());
        }
        protected override void SavePayload(TransformerPayloadWriter writer) => throw new NotSupportedException();
        private string[] Encode(string s)
        {
            Encodings++;
            return s.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        }
    }

    // Lengths 0..9 in a scrambled order, so sorting has work to do.
    private static Row[] Rows(int n) => Enumerable.Range(0, n)
        .Select(i => new Row { Id = i, Text = string.Join(' ', Enumerable.Repeat("w", i * 7 % 10)) }).ToArray();

    [TestMethod]
    public void Bucketing_ScoresSortedBatchesButServesRowsInTheirOriginalOrder()
    {
        var ml = new MLContext(seed: 1);
        var rows = Rows(50);
        var transformer = new WordCounter(batchSize: 3, bucketing: true);
        var scored = transformer.Transform(ml.Data.LoadFromEnumerable(rows));
        var ids = scored.GetColumn<int>("Id").ToArray();
        var words = scored.GetColumn<int>("Words").ToArray();

        CollectionAssert.AreEqual(rows.Select(r => r.Id).ToArray(), ids, "row order must not change");
        CollectionAssert.AreEqual(rows.Select(r => r.Text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length).ToArray(), words);
        // The first window (8 batches of 3 = 24 rows) is scored in ascending length, batch after batch.
        var firstWindow = transformer.Batches.Take(8).SelectMany(b => b).ToArray();
        CollectionAssert.AreEqual(firstWindow.Order().ToArray(), firstWindow, "a window is scored sorted by length");
        Assert.IsTrue(transformer.Batches.All(b => b.Length <= 3));
        Assert.AreEqual(50, transformer.Batches.Sum(b => b.Length));
    }

    [TestMethod]
    public void Bucketing_WithEncodeRows_EncodesEachRowOnce_AndHandsEveryBatchItsRowsEncodings()
    {
        var ml = new MLContext(seed: 1);
        var rows = Rows(48);   // two full windows of 8 batches × 3 (a window that fits in one batch is not sorted, so not pre-encoded)
        var transformer = new EncodeOnceCounter(batchSize: 3);
        var words = transformer.Transform(ml.Data.LoadFromEnumerable(rows)).GetColumn<int>("Words").ToArray();
        CollectionAssert.AreEqual(rows.Select(r => r.Text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length).ToArray(), words);
        Assert.AreEqual(0, transformer.BatchesWithoutEncodings, "every bucketed batch reuses the window's encodings");
        // The assertion inside MapBatch re-encodes each row once to compare, so 48 rows cost 48 (window) + 48 (check) encodings.
        Assert.AreEqual(96, transformer.Encodings);
    }

    [TestMethod]
    public void Bucketing_StaysLazy_ReadingOneWindowAhead()
    {
        var ml = new MLContext(seed: 1);
        var transformer = new WordCounter(batchSize: 2, bucketing: true);
        var scored = transformer.Transform(ml.Data.LoadFromEnumerable(Rows(1000)));
        using var cursor = scored.GetRowCursor(scored.Schema);
        Assert.IsTrue(cursor.MoveNext());
        Assert.AreEqual(2 * BatchedTransformerBase.BucketWindowBatches, transformer.Batches.Sum(b => b.Length), "only the first window is scored");
    }

    [TestMethod]
    public void Bucketing_Off_ScoresBatchesInRowOrder()
    {
        var ml = new MLContext(seed: 1);
        var rows = Rows(10);
        var transformer = new WordCounter(batchSize: 3, bucketing: false);
        _ = transformer.Transform(ml.Data.LoadFromEnumerable(rows)).GetColumn<int>("Words").ToArray();
        CollectionAssert.AreEqual(rows.Select(r => r.Text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length).ToArray(),
            transformer.Batches.SelectMany(b => b).ToArray());
    }

    [TestMethod]
    public void EmbeddingTransform_BucketedEqualsUnbucketedFp32Within1e6()
    {
        var ml = new MLContext(seed: 1);
        var texts = Enumerable.Range(0, 30).Select(i => string.Join(" ", Enumerable.Repeat(ScoringPrecisionTests.Sentences[i % 8], 1 + i % 3))).ToArray();
        var data = ml.Data.LoadFromEnumerable(texts.Select(t => new Row { Text = t }));
        float[][] Embed(bool bucketing)
        {
            var settings = new TransformerEmbeddingSettings("E", "Text", null, EmbeddingPooling.Mean, 64, 3, LengthBucketing: bucketing);
            using var t = ml.Transforms.Text.TransformerEmbedding(BertParityTests.FixtureDirectory, settings).Fit(data);
            return t.Transform(data).GetColumn<VBuffer<float>>("E").Select(v => v.DenseValues().ToArray()).ToArray();
        }
        var plain = Embed(false);
        var bucketed = Embed(true);
        Assert.HasCount(plain.Length, bucketed);
        for (int i = 0; i < plain.Length; i++)
            for (int j = 0; j < plain[i].Length; j++)
                Assert.AreEqual(plain[i][j], bucketed[i][j], 1e-6, $"row {i} dim {j}");
    }

    [TestMethod]
    public void FillMaskTransform_BucketedEqualsUnbucketedWithin1e6InRowOrder()
    {
        var ml = new MLContext(seed: 1);
        var texts = Enumerable.Range(0, 12).Select(i => string.Join(" ", Enumerable.Repeat(ScoringPrecisionTests.Sentences[i % 8], 1 + i % 3)) + " the [MASK] .").ToArray();
        var data = ml.Data.LoadFromEnumerable(texts.Select(t => new Row { Text = t }));
        using var fillMask = ml.Transforms.Text.PretrainMaskedLanguageModel(
            new MaskedLanguageModelOptions { CheckpointDirectory = BertParityTests.FixtureDirectory, MaxEpochs = 0, TopK = 3, BatchSize = 2 }).Fit(data);
        Assert.IsTrue(fillMask.Settings.LengthBucketing);
        var scored = fillMask.Transform(data);   // windows of 8 batches of 2, sorted by length
        var tokens = scored.GetColumn<VBuffer<ReadOnlyMemory<char>>>("FilledTokens").Select(v => v.DenseValues().Select(t => t.ToString()).ToArray()).ToArray();
        var scores = scored.GetColumn<VBuffer<float>>("FilledScores").Select(v => v.DenseValues().ToArray()).ToArray();
        for (int i = 0; i < texts.Length; i++)
        {
            var expected = fillMask.Predict([texts[i]])[0];   // one row alone: no bucketing, no padding
            CollectionAssert.AreEqual(expected.Tokens, tokens[i], $"row {i} tokens");
            for (int j = 0; j < expected.Scores.Length; j++) Assert.AreEqual(expected.Scores[j], scores[i][j], 1e-6, $"row {i} candidate {j}");
        }
    }
}
