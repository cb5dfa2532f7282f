using System.Text.Json;
using Microsoft.ML;

namespace MLNet.Transformers;

/// <summary>One SQuAD question as a row of the <see cref="IDataView"/> <see cref="SquadDataset.Load"/> returns.</summary>
public sealed class SquadQuestion
{
    /// <summary>SQuAD's question id.</summary>
    public string Id { get; set; } = "";
    /// <summary>Title of the article.</summary>
    public string Title { get; set; } = "";
    /// <summary>The paragraph.</summary>
    public string Context { get; set; } = "";
    /// <summary>The question.</summary>
    public string Question { get; set; } = "";
    /// <summary>The first gold answer whose text is at its <c>answer_start</c> ("" when the question has no answer): the training target.</summary>
    public string TrainingAnswer { get; set; } = "";
    /// <summary>Character index of <see cref="TrainingAnswer"/> in the context (−1 when the question has no answer).</summary>
    public int AnswerIndex { get; set; } = -1;
    /// <summary>All gold answer texts (several annotators in dev sets; empty for SQuAD 2.0's unanswerable questions).</summary>
    public string[] GoldAnswers { get; set; } = [];
}

/// <summary>What <see cref="SquadDataset.Load"/> read and what it had to leave out.</summary>
/// <param name="Version">The file's <c>version</c> field.</param>
/// <param name="Questions">Questions loaded.</param>
/// <param name="Unanswerable">Of those, questions without an answer (SQuAD 2.0 <c>is_impossible</c>).</param>
/// <param name="SkippedQuestions">Malformed questions left out.</param>
/// <param name="MisplacedAnswers">Gold answers whose text is not at their <c>answer_start</c> (kept as gold texts, never used as training targets).</param>
/// <param name="Problems">A description of each malformed entry (path in the JSON and what is wrong).</param>
public sealed record SquadLoadReport(string Version, int Questions, int Unanswerable, int SkippedQuestions, int MisplacedAnswers, IReadOnlyList<string> Problems);

/// <summary>
/// Reads SQuAD v1.1 / v2.0 JSON (<c>data[].paragraphs[].qas[]</c>) into an <see cref="IDataView"/> with the columns the
/// question-answering trainer reads by default: <c>Context</c>, <c>Question</c>, <c>TrainingAnswer</c>, <c>AnswerIndex</c>,
/// plus <c>Id</c>, <c>Title</c> and <c>GoldAnswers</c> (text vector) for evaluation. Malformed entries are skipped,
/// counted and described in the <see cref="SquadLoadReport"/>, never silently lost.
/// </summary>
public static class SquadDataset
{
    /// <summary>Reads the questions of a SQuAD JSON file.</summary>
    public static IReadOnlyList<SquadQuestion> Read(string path, out SquadLoadReport report)
    {
        if (!File.Exists(path)) throw new ArgumentException($"SQuAD file '{path}' does not exist.", nameof(path));
        JsonDocument document;
        try { document = JsonDocument.Parse(File.ReadAllBytes(path)); }
        catch (JsonException e) { throw new ArgumentException($"{path} is not valid JSON: {e.Message}", nameof(path), e); }
        using var _ = document;
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
            throw new ArgumentException($"{path} has no 'data' array: it is not a SQuAD file.", nameof(path));
        string version = root.TryGetProperty("version", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";

        var questions = new List<SquadQuestion>();
        var problems = new List<string>();
        int skipped = 0, misplaced = 0;
        int a = 0;
        foreach (var article in data.EnumerateArray())
        {
            string title = String(article, "title") ?? "";
            if (!article.TryGetProperty("paragraphs", out var paragraphs) || paragraphs.ValueKind != JsonValueKind.Array)
            { problems.Add($"data[{a++}]: no 'paragraphs' array"); continue; }
            int p = 0;
            foreach (var paragraph in paragraphs.EnumerateArray())
            {
                string where = $"data[{a}].paragraphs[{p++}]";
                string? context = String(paragraph, "context");
                if (!paragraph.TryGetProperty("qas", out var qas) || qas.ValueKind != JsonValueKind.Array) { problems.Add($"{where}: no 'qas' array"); continue; }
                int q = 0;
                foreach (var qa in qas.EnumerateArray())
                {
                    string at = $"{where}.qas[{q++}]";
                    var row = ReadQuestion(qa, title, context, at, problems, ref misplaced);
                    if (row is null) skipped++; else questions.Add(row);
                }
            }
            a++;
        }
        report = new SquadLoadReport(version, questions.Count, questions.Count(r => r.AnswerIndex < 0), skipped, misplaced, problems);
        return questions;
    }

    /// <summary>Reads a SQuAD JSON file into an <see cref="IDataView"/> (see <see cref="SquadQuestion"/> for the columns).</summary>
    public static IDataView Load(MLContext mlContext, string path, out SquadLoadReport report)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        return mlContext.Data.LoadFromEnumerable(Read(path, out report));
    }

    private static SquadQuestion? ReadQuestion(JsonElement qa, string title, string? context, string at, List<string> problems, ref int misplaced)
    {
        string? question = String(qa, "question"), id = String(qa, "id");
        if (context is null) { problems.Add($"{at}: its paragraph has no 'context' string"); return null; }
        if (string.IsNullOrWhiteSpace(question)) { problems.Add($"{at}: no 'question' string"); return null; }
        bool impossible = qa.TryGetProperty("is_impossible", out var imp) && imp.ValueKind == JsonValueKind.True;
        var golds = new List<string>();
        (string Text, int Start)? target = null;
        if (qa.TryGetProperty("answers", out var answers))
        {
            if (answers.ValueKind != JsonValueKind.Array) { problems.Add($"{at}: 'answers' is not an array"); return null; }
            int i = 0;
            foreach (var answer in answers.EnumerateArray())
            {
                string? text = String(answer, "text");
                int? start = answer.TryGetProperty("answer_start", out var s) && s.ValueKind == JsonValueKind.Number && s.TryGetInt32(out int n) ? n : null;
                if (text is null || start is null) { problems.Add($"{at}.answers[{i++}]: needs 'text' (string) and 'answer_start' (int)"); continue; }
                golds.Add(text);
                if (start >= 0 && start + text.Length <= context.Length && string.CompareOrdinal(context, start.Value, text, 0, text.Length) == 0)
                    target ??= (text, start.Value);
                else { misplaced++; problems.Add($"{at}.answers[{i}]: text '{text}' is not at answer_start {start} of the context"); }
                i++;
            }
        }
        else if (!impossible) { problems.Add($"{at}: no 'answers' array"); return null; }
        if (!impossible && golds.Count == 0) { problems.Add($"{at}: answerable but has no answer"); return null; }
        if (!impossible && target is null) { problems.Add($"{at}: no gold answer is at its answer_start; question left out"); return null; }
        return new SquadQuestion
        {
            Id = id ?? at, Title = title, Context = context, Question = question,
            TrainingAnswer = impossible ? "" : target!.Value.Text, AnswerIndex = impossible ? -1 : target!.Value.Start,
            GoldAnswers = impossible ? [] : golds.ToArray(),
        };
    }

    private static string? String(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
