using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using MLNet.Transformers.Tests.Checkpoints;
using MLNet.Transformers.Tests.Models.T5;
using MLNet.Transformers.Tokenization;

namespace MLNet.Transformers.Tests.Reliability;

/// <summary>
/// Issue 20, fuzz per tokenizer format (WordPiece's vocab.txt is fuzzed in <see cref="ReaderFuzzTests"/>): seeded mutations
/// of byte-level BPE files (vocab.json + merges.txt, through the GPT-2 and RoBERTa loaders) and of T5's Unigram
/// tokenizer.json. Every case must load — and then encode hostile text into ids inside the vocabulary — or throw an
/// <see cref="ArgumentException"/> (the named errors); anything else (KeyNotFound, InvalidOperation from JSON, a crash) fails.
/// </summary>
[TestClass]
public sealed class TokenizerFileFuzzTests
{
    private const int Seed = 20261207;
    private static readonly string[] Texts = ["the cat sat.", "", "hello\uD800world", "東京 naïve café <mask> <|endoftext|>", new string('x', 3000), "a\u0000b"];

    public TestContext TestContext { get; set; } = null!;

    private void Fuzz(int cases, Action<Random> run)
    {
        int rejected = 0;
        var unexpected = new List<string>();
        for (int i = 0; i < cases; i++)
        {
            try { run(new Random(Seed + i)); }
            catch (ArgumentException) { rejected++; }
            catch (Exception e) { unexpected.Add($"case {i} (seed {Seed + i}): {e.GetType().FullName}: {e.Message} {string.Join(" | ", (e.StackTrace ?? "").Split('\n').Take(6))}"); }
        }
        TestContext.WriteLine($"{cases} cases: {cases - rejected - unexpected.Count} accepted, {rejected} named errors, {unexpected.Count} unexpected");
        Assert.AreEqual(0, unexpected.Count, string.Join("\n", unexpected.Take(10)));
    }

    private static readonly string[] JsonValues = ["0", "-1", "1", "2147483647", "99999999999", "1.5", "1e308", "\"NaN\"", "\"\"", "\"x\"", "null", "true", "[]", "{}", "[1,\"a\"]"];

    private const string Structural = " \n{}[]\":,#";

    private static string MutateText(Random r, string text)
    {
        var b = new StringBuilder(text);
        for (int k = r.Next(1, 4); k > 0; k--)
        {
            int at = r.Next(b.Length);
            switch (r.Next(5))
            {
                case 0: b[at] = (char)(b[at] ^ (1 << r.Next(8))); break;                               // a flipped bit
                case 1: b.Remove(at, Math.Min(r.Next(1, 20), b.Length - at)); break;                  // a hole
                case 2: b.Insert(at, Structural[r.Next(Structural.Length)]); break;                    // a stray structural character
                case 3: b.Length = at; break;                                                          // truncated
                default: b.Insert(at, new string((char)r.Next(32, 0x3000), r.Next(1, 4))); break;
            }
            if (b.Length == 0) break;
        }
        return b.ToString();
    }

    [TestMethod]
    public void ByteLevelBpeFiles_MutatedVocabAndMerges_LoadOrThrowNamedErrors_Gpt2AndRoberta()
    {
        var trained = ByteLevelBpeTrainer.Train(Enumerable.Repeat("the cat sat on the mat, the dog ran to the park; naïve café 東京", 20), 330);
        using var temp = new TempDirectory();
        trained.Save(temp.Path, 64);
        var vocabulary = JsonNode.Parse(File.ReadAllText(temp.File("vocab.json")))!.AsObject();
        foreach (var token in new[] { "<s>", "<pad>", "</s>", "<unk>", "<mask>" }) vocabulary[token] = vocabulary.Count;
        string vocab = vocabulary.ToJsonString(), merges = File.ReadAllText(temp.File("merges.txt"));
        Fuzz(400, r =>
        {
            string v = vocab, m = merges;
            switch (r.Next(3))
            {
                case 0: v = MutateText(r, v); break;
                case 1: m = MutateText(r, m); break;
                default:   // a JSON value of vocab.json replaced
                    var ids = Regex.Matches(v, ":\\d+").ToList();
                    var id = ids[r.Next(ids.Count)];
                    v = v[..(id.Index + 1)] + JsonValues[r.Next(JsonValues.Length)] + v[(id.Index + id.Length)..];
                    break;
            }
            byte[] vb = Encoding.UTF8.GetBytes(v), mb = Encoding.UTF8.GetBytes(m);
            if (r.Next(2) == 0)
            {
                var gpt2 = Gpt2BpeTokenizer.FromContents(vb, mb);
                foreach (var text in Texts) Assert.IsTrue(gpt2.Encode(text).All(i => gpt2.IdToToken(i) is not null));
            }
            else
            {
                var roberta = RobertaBpeTokenizer.FromContents(vb, mb);
                foreach (var text in Texts) roberta.Encode(text, Texts[r.Next(Texts.Length)], maxLength: 24);
            }
        });
    }

    [TestMethod]
    public void T5TokenizerJson_MutatedFields_LoadOrThrowNamedErrors()
    {
        var original = JsonNode.Parse(File.ReadAllText(Path.Combine(T5Fixture.Directory, T5Tokenizer.FileName)))!.AsObject();
        // Paths of the small fields (everything but the 32,100 vocabulary pairs and the charsmap).
        var fields = new List<(JsonNode Parent, string Key)>();
        void Collect(JsonNode? node)
        {
            if (node is JsonObject o)
                foreach (var (key, child) in o.ToList()) { if (key is "precompiled_charsmap") continue; fields.Add((o, key)); if (key != "vocab") Collect(child); }
            else if (node is JsonArray a && a.Count < 200)
                foreach (var child in a) Collect(child);
        }
        Collect(original);
        using var temp = new TempDirectory();
        string text = original.ToJsonString();
        Fuzz(40, r =>
        {
            var json = JsonNode.Parse(text)!.AsObject();
            for (int k = r.Next(1, 3); k > 0; k--)
            {
                var (parent, key) = fields[r.Next(fields.Count)];
                var target = Locate(json, original, parent);
                if (target is JsonObject o && o.ContainsKey(key))
                {
                    if (r.Next(4) == 0) o.Remove(key);
                    else o[key] = JsonNode.Parse(JsonValues[r.Next(JsonValues.Length)]);
                }
            }
            if (r.Next(6) == 0) json["model"]!["vocab"]![r.Next(32000)] = JsonNode.Parse(JsonValues[r.Next(JsonValues.Length)]);
            File.WriteAllText(temp.File(T5Tokenizer.FileName), json.ToJsonString());
            var tokenizer = T5Tokenizer.FromDirectory(temp.Path);
            foreach (var t in Texts) Assert.IsTrue(tokenizer.Encode(t).All(i => i >= 0 && i < tokenizer.VocabularySize));
        });
    }

    // The node of `copy` at the same place as `node` is in `original`.
    private static JsonNode? Locate(JsonNode copy, JsonNode original, JsonNode node)
    {
        var path = node.GetPath();          // e.g. $.normalizer.normalizers[0]
        if (path == "$") return copy;
        JsonNode? current = copy;
        foreach (Match part in Regex.Matches(path[1..], "\\.([^.\\[]+)|\\['([^']+)'\\]|\\[(\\d+)\\]"))
        {
            if (current is null) return null;
            current = part.Groups[3].Success ? (current is JsonArray a && int.Parse(part.Groups[3].Value) < a.Count ? a[int.Parse(part.Groups[3].Value)] : null)
                : current is JsonObject o ? o[part.Groups[1].Success ? part.Groups[1].Value : part.Groups[2].Value] : null;
        }
        return current;
    }
}
