namespace MLNet.Transformers.Training.Pretraining;

/// <summary>
/// Turns raw text rows into documents of sentences, ready to tokenize for <see cref="NextSentencePairBuilder"/> or
/// <see cref="SequencePacker"/>. Paragraphs are split with <see cref="SentenceSplitter"/>.
/// </summary>
/// <remarks>
/// WikiText layout (<see cref="CorpusRowFormat.WikiTextLines"/>): a line <c> = Title = </c> (exactly one '=' on each side)
/// starts a new article; <c> = = Section = = </c> and deeper headings stay inside the article (dropped unless
/// <see cref="PretrainingCorpusOptions.KeepSectionHeadings"/>); blank lines only separate paragraphs. Text before the
/// first title becomes a document without a title, so nothing is lost. Documents without sentences are left out.
/// </remarks>
internal static class PretrainingCorpus
{
    /// <summary>Reads documents from rows (lines of a stream, or one document per row, per <paramref name="options"/>).</summary>
    public static IReadOnlyList<CorpusDocument> ReadDocuments(IEnumerable<string?> rows, PretrainingCorpusOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        options ??= new PretrainingCorpusOptions();
        return options.RowFormat == CorpusRowFormat.DocumentPerRow
            ? ReadDocumentPerRow(rows, options)
            : ReadWikiTextLines(rows, options);
    }

    /// <summary>
    /// The heading level of a WikiText heading line: 1 for <c> = Title = </c>, 2 for <c> = = Section = = </c>, and so on;
    /// 0 when the line is not a heading. <paramref name="text"/> receives the heading text.
    /// </summary>
    public static int HeadingLevel(string line, out string text)
    {
        text = "";
        var s = line.AsSpan().Trim();
        int level = 0;
        // Leading "= " groups, mirrored by trailing " =" groups.
        while (s.Length >= 2 && s[0] == '=' && s[^1] == '=')
        {
            level++;
            s = s[1..^1].Trim();
        }
        if (level == 0 || s.IsEmpty) return 0;
        text = s.ToString();
        return level;
    }

    private static List<CorpusDocument> ReadWikiTextLines(IEnumerable<string?> lines, PretrainingCorpusOptions options)
    {
        var documents = new List<CorpusDocument>();
        string? title = null;
        var sentences = new List<string>();
        foreach (string? line in lines)
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            int level = HeadingLevel(line, out string heading);
            if (level == 1)
            {
                Close(title, sentences, documents);
                title = heading;
                sentences = new List<string>();
            }
            else if (level > 1)
            {
                if (options.KeepSectionHeadings) sentences.Add(heading);
            }
            else
            {
                sentences.AddRange(SentenceSplitter.Split(line));
            }
        }
        Close(title, sentences, documents);
        return documents;
    }

    private static List<CorpusDocument> ReadDocumentPerRow(IEnumerable<string?> rows, PretrainingCorpusOptions options)
    {
        var documents = new List<CorpusDocument>();
        foreach (string? row in rows)
        {
            if (string.IsNullOrWhiteSpace(row)) continue;
            var sentences = new List<string>();
            foreach (string paragraph in row.Split('\n'))
                sentences.AddRange(SentenceSplitter.Split(paragraph));
            Close(null, sentences, documents);
        }
        return documents;
    }

    private static void Close(string? title, List<string> sentences, List<CorpusDocument> documents)
    {
        if (sentences.Count > 0) documents.Add(new CorpusDocument(title, sentences));
    }
}
