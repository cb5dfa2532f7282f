namespace MLNet.Transformers.Training.Pretraining;

/// <summary>How <see cref="PretrainingCorpus"/> reads its rows.</summary>
public enum CorpusRowFormat
{
    /// <summary>
    /// Rows are the lines of one text stream in WikiText layout: a <c> = Title = </c> line starts a new document,
    /// <c> = = Section = = </c> lines (two or more <c>=</c>) are headings inside it, every other non-blank line is a paragraph.
    /// </summary>
    WikiTextLines,

    /// <summary>Each row is a whole document; line breaks inside a row separate paragraphs.</summary>
    DocumentPerRow,
}

/// <summary>Options of <see cref="PretrainingCorpus"/>.</summary>
internal sealed class PretrainingCorpusOptions
{
    /// <summary>What a row is. Default <see cref="CorpusRowFormat.WikiTextLines"/>.</summary>
    public CorpusRowFormat RowFormat { get; set; } = CorpusRowFormat.WikiTextLines;

    /// <summary>Keep section headings (WikiText <c> = = Section = = </c>, without the <c>=</c>) as sentences. Default false.</summary>
    public bool KeepSectionHeadings { get; set; }
}
