using MLNet.Transformers.Training.Pretraining;

namespace MLNet.Transformers.Tests.Training.Pretraining;

[TestClass]
public sealed class PretrainingCorpusTests
{
    [TestMethod]
    public void ReadDocuments_WikiTextLines_SplitsAtTitlesNotAtSections()
    {
        string[] lines =
        [
            " ",
            " = First Article = ",
            " ",
            " It starts here . It goes on ? Yes ! ",
            " ",
            " = = A Section = = ",
            " Section text . ",
            " = = = A Subsection = = = ",
            " More text . ",
            " = Second Article = ",
            " Only sentence . ",
            " = Empty Article = ",
            " ",
        ];
        var documents = PretrainingCorpus.ReadDocuments(lines);
        Assert.HasCount(2, documents, "a title without text makes no document");
        Assert.AreEqual("First Article", documents[0].Title);
        CollectionAssert.AreEqual(new[] { "It starts here .", "It goes on ?", "Yes !", "Section text .", "More text ." }, documents[0].Sentences.ToArray());
        Assert.AreEqual("Second Article", documents[1].Title);
        CollectionAssert.AreEqual(new[] { "Only sentence ." }, documents[1].Sentences.ToArray());
    }

    [TestMethod]
    public void ReadDocuments_KeepSectionHeadings_AddsThemAsSentences()
    {
        string[] lines = [" = T = ", " = = Early life = = ", " Text . "];
        var documents = PretrainingCorpus.ReadDocuments(lines, new PretrainingCorpusOptions { KeepSectionHeadings = true });
        CollectionAssert.AreEqual(new[] { "Early life", "Text ." }, documents[0].Sentences.ToArray());
    }

    [TestMethod]
    public void ReadDocuments_TextBeforeTheFirstTitle_IsAnUntitledDocument()
    {
        var documents = PretrainingCorpus.ReadDocuments([" Lead text . ", " = T = ", " Body . "]);
        Assert.HasCount(2, documents);
        Assert.IsNull(documents[0].Title);
        Assert.AreEqual("T", documents[1].Title);
    }

    [TestMethod]
    public void ReadDocuments_DocumentPerRow_OneDocumentPerNonBlankRow()
    {
        string[] rows = ["First doc. Second sentence.\nNew paragraph here.", "  ", "Another doc"];
        var documents = PretrainingCorpus.ReadDocuments(rows, new PretrainingCorpusOptions { RowFormat = CorpusRowFormat.DocumentPerRow });
        Assert.HasCount(2, documents);
        CollectionAssert.AreEqual(new[] { "First doc.", "Second sentence.", "New paragraph here." }, documents[0].Sentences.ToArray());
        CollectionAssert.AreEqual(new[] { "Another doc" }, documents[1].Sentences.ToArray());
    }

    [TestMethod]
    public void ReadDocuments_OnWikiText2Valid_FindsTheArticles()
    {
        // Titles at lines 2, 48, 79, 104, 133 of valid.txt; " = = Description = = " (line 6) is a section.
        var documents = PretrainingCorpus.ReadDocuments(PretrainingTestText.WikiTextLines(200));
        CollectionAssert.AreEqual(
            new[] { "Homarus gammarus", "Frank <unk>", "M @-@ 82 ( Michigan highway )", "<unk> <unk>", "Meridian , Mississippi" },
            documents.Select(d => d.Title).ToArray());
        var first = documents[0].Sentences;
        Assert.AreEqual("Homarus gammarus , known as the European lobster or common lobster , is a species of <unk> lobster from the eastern Atlantic Ocean , Mediterranean Sea and parts of the Black Sea .", first[0]);
        Assert.AreEqual("It is closely related to the American lobster , H. americanus .", first[1]);
        Assert.IsFalse(first.Any(s => s.Contains("Description", StringComparison.Ordinal) && s.Length < 20), "section headings are not sentences");
    }

    [TestMethod]
    public void ReadDocuments_OnWholeWikiText2Valid_Finds60Articles()
    {
        var documents = PretrainingCorpus.ReadDocuments(PretrainingTestText.WikiTextLines(int.MaxValue));
        Assert.HasCount(60, documents);
    }

    [TestMethod]
    public void HeadingLevel_CountsEqualsSigns()
    {
        Assert.AreEqual(1, PretrainingCorpus.HeadingLevel(" = Title = ", out string title));
        Assert.AreEqual("Title", title);
        Assert.AreEqual(2, PretrainingCorpus.HeadingLevel(" = = Section = = ", out string section));
        Assert.AreEqual("Section", section);
        Assert.AreEqual(3, PretrainingCorpus.HeadingLevel(" = = = Sub = = = ", out _));
        Assert.AreEqual(0, PretrainingCorpus.HeadingLevel(" a = b ", out _));
        Assert.AreEqual(0, PretrainingCorpus.HeadingLevel(" = = ", out _));
    }

    [TestMethod]
    public void SentenceSplitter_SplitsBeforeUpperCaseOnly()
    {
        CollectionAssert.AreEqual(
            new[] { "One .", "Two ?", "Three !", "Four, with H. americanus and e.g. this.", "Five" },
            SentenceSplitter.Split("One . Two ? Three ! Four, with H. americanus and e.g. this. Five").ToArray());
        CollectionAssert.AreEqual(new[] { "It cost 1.5 dollars . 3 more ." }, SentenceSplitter.Split(" It cost 1.5 dollars . 3 more . ").ToArray());
        Assert.IsEmpty(SentenceSplitter.Split("   "));
    }
}
