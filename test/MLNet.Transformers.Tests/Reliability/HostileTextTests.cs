using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNet.Transformers.Persistence;
using MLNet.Transformers.Tokenization;
using MLNet.Transformers.Transforms.Infrastructure;

namespace MLNet.Transformers.Tests.Reliability;

/// <summary>
/// Issue 10, items 6 and 7: text with lone surrogates or U+FFFE/U+FFFF is scored (the bad word becomes [UNK]) instead of
/// failing the whole IDataView; a row error names the row and column; a vocab.txt with duplicate lines loads like HF's.
/// </summary>
[TestClass]
public sealed class HostileTextTests
{
    private sealed class Row { public string Text { get; set; } = ""; }

    private static BertWordPieceTokenizer Tiny => BertWordPieceTokenizer.FromVocabulary(TinyBertCheckpoint.Vocabulary);

    [TestMethod]
    [DataRow(0xD800)]
    [DataRow(0xDC00)]
    [DataRow(0xFFFE)]
    [DataRow(0xFFFF)]
    public void InvalidCodePoint_BecomesUnknownToken(int codeUnit)
    {
        string text = "the " + (char)codeUnit + " cat";   // built here: test data rows do not carry lone surrogates intact
        var tokenizer = Tiny;
        var ids = tokenizer.Encode(text).InputIds;
        CollectionAssert.AreEqual(new[] { tokenizer.ClsTokenId, tokenizer.TokenToId("the"), tokenizer.UnkTokenId, tokenizer.TokenToId("cat"), tokenizer.SepTokenId }, ids);
    }

    [TestMethod]
    public void InvalidCodePointInsideAWord_MakesThatWordUnknown_AsHfDoes()
    {
        var tokenizer = Tiny;
        CollectionAssert.AreEqual(new[] { tokenizer.ClsTokenId, tokenizer.UnkTokenId, tokenizer.TokenToId("cat"), tokenizer.SepTokenId },
            tokenizer.Encode("hello\uD83Dworld cat").InputIds);
        // A valid surrogate pair is left alone (an emoji is simply unknown to this vocabulary).
        Assert.AreEqual(tokenizer.UnkTokenId, tokenizer.Encode("\uD83D\uDE00").InputIds[1]);
    }

    [TestMethod]
    public void TransformerEmbedding_ScoresEveryRowOfADataViewWithInvalidText()
    {
        using var tiny = new TinyBertCheckpoint();
        var ml = new MLContext(seed: 1);
        var rows = new[] { "the cat sat", "bad \uD800 row", "\uFFFF", "a dog ran", "x\uDFFFy \uFFFE" }.Select(t => new Row { Text = t }).ToArray();
        var data = ml.Data.LoadFromEnumerable(rows);
        using var transformer = ml.Transforms.Text.TransformerEmbedding(tiny.Path, "E", "Text", batchSize: 2).Fit(data);
        var vectors = transformer.Transform(data).GetColumn<float[]>("E").ToArray();
        Assert.AreEqual(rows.Length, vectors.Length);
        Assert.IsTrue(vectors.All(v => v.Length == 8 && v.All(float.IsFinite)));
        // The bad row is scored as if the bad word were [UNK], i.e. as U+FFFD written to and read back from a UTF-8 file would be.
        var expected = transformer.Embed(["bad \uFFFDx row"])[0];
        CollectionAssert.AreEqual(expected, vectors[1]);
    }

    /// <summary>Fails on rows containing "boom"; used to check what a remaining row error says.</summary>
    private sealed class FailingRowTransformer() : BatchedTransformerBase(batchSize: 4), ILoadableTransformer<FailingRowTransformer>
    {
        public override IReadOnlyList<InputColumnSpec> InputColumns { get; } = [new("Text", TextDataViewType.Instance)];
        public override IReadOnlyList<OutputColumnSpec> OutputColumns { get; } = [new("Length", NumberDataViewType.Single)];
        protected internal override void MapBatch(RowBatch batch) => batch.SetOutput("Length", batch.GetInput<string>("Text")
            .Select(t => t.Contains("boom") ? throw new FormatException("cannot read 'boom'") : (float)t.Length).ToArray());
        protected override void SavePayload(TransformerPayloadWriter writer) { }
        public static FailingRowTransformer Load(IHostEnvironment env, TransformerPayloadReader payload) => new();
    }

    [TestMethod]
    public void RowError_NamesTheRowAndTheColumn()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { "a", "b", "c", "d", "e", "f boom", "g" }.Select(t => new Row { Text = t }));
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => new FailingRowTransformer().Transform(data).GetColumn<float>("Length").ToArray());
        StringAssert.Contains(e.Message, "could not score row 5 (input column 'Text'): cannot read 'boom'");
        Assert.IsInstanceOfType<FormatException>(e.InnerException);
    }

    [TestMethod]
    public void DuplicateVocabularyLine_LoadsAndTheLaterLineWins_AsInHf()
    {
        using var temp = new Checkpoints.TempDirectory();
        var lines = TinyBertCheckpoint.Vocabulary.Append("cat").Append("[UNK]").ToArray();   // "cat" at 6 and 24, "[UNK]" at 1 and 25
        File.WriteAllText(temp.File("vocab.txt"), string.Join("\n", lines) + "\n");
        var tokenizer = BertWordPieceTokenizer.FromDirectory(temp.Path);

        Assert.AreEqual(26, tokenizer.VocabularySize, "every line is an embedding row");
        Assert.AreEqual(24, tokenizer.TokenToId("cat"));
        Assert.AreEqual(25, tokenizer.UnkTokenId);
        CollectionAssert.AreEqual(new[] { 2, 24, 7, 25, 3 }, tokenizer.Encode("cat sat zebra").InputIds);
        Assert.AreEqual("cat", tokenizer.IdToToken(24));
        Assert.AreEqual("[UNK]", tokenizer.IdToToken(6), "HF's ids_to_tokens has no entry for the shadowed line");

        tokenizer.SaveVocabulary(temp.File("saved.txt"));
        CollectionAssert.AreEqual(lines, File.ReadAllLines(temp.File("saved.txt")), "saving keeps every line");
    }
}
