using MLNet.Transformers.Checkpoints;
using TorchSharp;

// More pretraining text in WikiText line layout (" = Title = " starts a document, one paragraph per line).
internal static class ExtraText
{
    /// <summary>
    /// The Brown corpus (form C, <c>word/TAG</c> tokens) with the tags stripped, one document per file. The last file of
    /// each genre is left out: examples/TextClassification tests its POS tagger on those files.
    /// </summary>
    public static IEnumerable<string> Brown(string directory)
    {
        foreach (var file in BrownSplit.TrainingFiles(directory))
        {
            yield return $" = {Path.GetFileName(file)} = ";
            foreach (var line in File.ReadLines(file).Where(l => l.Trim().Length > 0))
                yield return " " + string.Join(' ', line.Split(' ', '\t').Where(t => t.Length > 0).Select(t => t[..t.LastIndexOf('/')])) + " ";
        }
    }

    /// <summary>SST-2's training sentences (never the dev set), 100 to a document.</summary>
    public static IEnumerable<string> Sst2(string trainTsv)
    {
        int n = 0;
        foreach (var line in File.ReadLines(trainTsv).Skip(1))
        {
            if (n++ % 100 == 0) yield return $" = sst2 {n / 100} = ";
            yield return " " + line[..line.LastIndexOf('\t')].Trim() + " ";
        }
    }

    /// <summary>Rewrites a safetensors file with its floating-point tensors stored as bf16 (loaders upcast on load).</summary>
    public static void StoreAsBf16(string path)
    {
        var tensors = SafeTensors.Load(path);
        var bf16 = tensors.ToDictionary(kv => kv.Key, kv => kv.Value.is_floating_point() ? kv.Value.to(torch.bfloat16) : kv.Value);
        SafeTensors.Save(path, bf16, new Dictionary<string, string> { ["format"] = "pt" });
        foreach (var t in tensors.Values.Concat(bf16.Values).Distinct()) t.Dispose();
    }
}

/// <summary>The genre-stratified Brown split shared with examples/TextClassification: the last file of each genre is test.</summary>
internal static class BrownSplit
{
    public static IEnumerable<string> TestFiles(string directory) => Genres(directory).Select(g => g.Last());

    public static IEnumerable<string> TrainingFiles(string directory) => Genres(directory).SelectMany(g => g.SkipLast(1));

    // cats.txt lists "ca01 news" per line; files within a genre are taken in name order.
    private static IEnumerable<List<string>> Genres(string directory) =>
        File.ReadLines(Path.Combine(directory, "cats.txt")).Where(l => l.Trim().Length > 0)
            .Select(l => l.Split(' ', 2)).GroupBy(p => p[1].Trim()).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => g.Select(p => Path.Combine(directory, p[0])).OrderBy(f => f, StringComparer.Ordinal).ToList());
}
