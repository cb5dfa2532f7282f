using System.Text;
using System.Text.RegularExpressions;
using MLNet.Transformers.Checkpoints;
using MLNet.Transformers.Models.Bert;
using MLNet.Transformers.Tests.Checkpoints;
using MLNet.Transformers.Tokenization;

namespace MLNet.Transformers.Tests.Reliability;

/// <summary>
/// Seeded mutational fuzz of the readers that take files from disk (safetensors, config.json, vocab.txt) and of the
/// tokenizer's text input. Every case must either succeed or throw one of the documented exception types; anything else
/// (NullReference, IndexOutOfRange, native ExternalException, a crash) is a bug. Failures print the case to replay.
/// </summary>
[TestClass]
public sealed class ReaderFuzzTests
{
    private const int Seed = 20261123;
    private static TinyBertCheckpoint tiny = null!;

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static void CreateCheckpoint(TestContext _) => tiny = new TinyBertCheckpoint();

    [ClassCleanup]
    public static void DeleteCheckpoint() => tiny.Dispose();

    /// <summary>Runs <paramref name="cases"/> cases; returns the number that threw an allowed exception.</summary>
    private int Fuzz(int cases, Type[] allowed, Action<Random, int> run)
    {
        int rejected = 0;
        var unexpected = new List<string>();
        for (int i = 0; i < cases; i++)
        {
            try { run(new Random(Seed + i), i); }
            catch (Exception e) when (allowed.Contains(e.GetType())) { rejected++; }
            catch (Exception e) { unexpected.Add($"case {i} (seed {Seed + i}): {e.GetType().FullName}: {e.Message} {e.StackTrace?.Split('\n').FirstOrDefault()}"); }
        }
        TestContext.WriteLine($"{cases} cases: {cases - rejected - unexpected.Count} accepted, {rejected} rejected with a documented exception, {unexpected.Count} unexpected");
        Assert.AreEqual(0, unexpected.Count, string.Join("\n", unexpected.Take(10)));
        return rejected;
    }

    private static readonly string[] JsonValues =
        ["0", "-1", "1", "2", "7", "2147483647", "-2147483648", "9223372036854775807", "1e30", "1.5", "-0.0", "NaN", "\"\"", "\"gelu\"",
         "\"F32\"", "\"I64\"", "\"BOOL\"", "\"F8_E4M3\"", "null", "true", "[]", "[1,2]", "[[]]", "{}", "{\"a\":1}", "\"\\ud800\"", "99999999999999999999999"];

    private static byte[] MutateBytes(Random r, byte[] input, int headerEnd)
    {
        var b = (byte[])input.Clone();
        switch (r.Next(7))
        {
            case 0:   // bit flips anywhere
                for (int k = r.Next(1, 9); k > 0; k--) { int bit = r.Next(b.Length * 8); b[bit / 8] ^= (byte)(1 << (bit % 8)); }
                return b;
            case 1:   // bit flips in the length prefix or JSON header
                for (int k = r.Next(1, 4); k > 0; k--) { int bit = r.Next(headerEnd * 8); b[bit / 8] ^= (byte)(1 << (bit % 8)); }
                return b;
            case 2:   // truncation
                return b[..r.Next(b.Length)];
            case 3:   // a hostile header length
                ulong[] lengths = [0, 1, 7, (ulong)headerEnd - 8, (ulong)headerEnd, (ulong)b.Length, ulong.MaxValue, 100_000_001, (ulong)r.NextInt64()];
                BitConverter.GetBytes(lengths[r.Next(lengths.Length)]).CopyTo(b, 0);
                return b;
            case 4:   // replace a JSON token of the header (number, dtype, name) with another value
            {
                string header = Encoding.UTF8.GetString(b, 8, headerEnd - 8);
                var tokens = Regex.Matches(header, "-?\\d+|\"[^\"]*\"").ToList();
                var token = tokens[r.Next(tokens.Count)];
                string edited = header[..token.Index] + JsonValues[r.Next(JsonValues.Length)] + header[(token.Index + token.Length)..];
                return Reassemble(edited, b[headerEnd..]);
            }
            case 5:   // insert or delete a structural character in the header
            {
                string header = Encoding.UTF8.GetString(b, 8, headerEnd - 8);
                int at = r.Next(header.Length);
                string edited = r.Next(2) == 0 ? header.Remove(at, 1) : header.Insert(at, Structural[r.Next(Structural.Length)].ToString());
                return Reassemble(edited, b[headerEnd..]);
            }
            default:  // garbage appended or data removed
                return r.Next(2) == 0 ? [.. b, .. Enumerable.Range(0, r.Next(1, 64)).Select(_ => (byte)r.Next(256))] : b[..Math.Max(headerEnd, b.Length - r.Next(1, 64))];
        }
    }

    private const string Structural = "{}[]\",:0-9e";

    private static byte[] Reassemble(string header, byte[] data)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        return [.. BitConverter.GetBytes((ulong)json.Length), .. json, .. data];
    }

    [TestMethod]
    public void SafeTensorsReader_MutatedFiles_LoadOrThrowCheckpointFormatException()
    {
        byte[] original = File.ReadAllBytes(tiny.File("model.safetensors"));
        int headerEnd = 8 + (int)BitConverter.ToUInt64(original, 0);
        using var temp = new TempDirectory();
        string path = temp.File("model.safetensors");
        Fuzz(1500, [typeof(CheckpointFormatException)], (r, _) =>
        {
            File.WriteAllBytes(path, MutateBytes(r, original, headerEnd));
            foreach (var t in SafeTensors.Load(path).Values) t.Dispose();
        });
    }

    [TestMethod]
    public void BertLoader_MutatedWeightsAndConfigs_LoadOrThrowDocumentedExceptions()
    {
        byte[] weights = File.ReadAllBytes(tiny.File("model.safetensors"));
        int headerEnd = 8 + (int)BitConverter.ToUInt64(weights, 0);
        string config = File.ReadAllText(tiny.File("config.json"));
        var fields = Regex.Matches(config, "\"([a-z_0-9]+)\":").Select(m => m.Groups[1].Value).ToArray();
        using var temp = new TempDirectory();
        File.Copy(tiny.File("vocab.txt"), temp.File("vocab.txt"));
        Fuzz(1000, [typeof(CheckpointFormatException), typeof(ArgumentException), typeof(InvalidOperationException)], (r, i) =>
        {
            string mutated = config;
            if (i % 4 == 0)
                File.WriteAllBytes(temp.File("model.safetensors"), MutateBytes(r, weights, headerEnd));
            else
            {
                File.WriteAllBytes(temp.File("model.safetensors"), weights);
                for (int k = r.Next(1, 3); k > 0; k--)
                {
                    string field = fields[r.Next(fields.Length)];
                    mutated = r.Next(8) == 0
                        ? Regex.Replace(mutated, $"\"{field}\":", "\"x_removed\":")
                        : Regex.Replace(mutated, $"\"{field}\": [^,\\n]+", $"\"{field}\": {JsonValues[r.Next(JsonValues.Length)]}");
                }
                if (r.Next(10) == 0) mutated = mutated[..r.Next(mutated.Length)];
            }
            File.WriteAllText(temp.File("config.json"), mutated);
            using var model = BertCheckpoint.LoadEncoder(temp.Path);
        });
    }

    private static readonly string[] HostileTexts =
        ["the cat sat.", "", "[MASK] [UNK]", "hello\uD800world", "\uFFFF\uFFFE", "東京 naïve café", "a\u0000b\u200Bc", new string('x', 500), "##s ##", "\uDBFF\uDFFF \uD83D"];

    [TestMethod]
    public void VocabularyReader_MutatedFiles_LoadOrThrowArgumentException_AndThenEncodeAnything()
    {
        using var temp = new TempDirectory();
        string[] extras = ["", "cat", "[PAD]", "##", "##s", "\r", "a b", "\u0000", "\uFFFD", new string('y', 5000), "東", "[MASK]", "\t"];
        Fuzz(1000, [typeof(ArgumentException)], (r, _) =>
        {
            var lines = TinyBertCheckpoint.Vocabulary.ToList();
            for (int k = r.Next(1, 6); k > 0; k--)
            {
                int at = r.Next(lines.Count + 1);
                switch (r.Next(4))
                {
                    case 0: lines.Insert(at, extras[r.Next(extras.Length)]); break;
                    case 1: if (lines.Count > 0) lines.RemoveAt(Math.Min(at, lines.Count - 1)); break;
                    case 2: if (lines.Count > 0) lines.Insert(at, lines[r.Next(lines.Count)]); break;   // a duplicate line
                    default: lines.Insert(at, new string(Enumerable.Range(0, r.Next(1, 6)).Select(_ => (char)r.Next(32, 0x3000)).ToArray())); break;
                }
            }
            byte[] bytes = Encoding.UTF8.GetBytes(string.Join("\n", lines));
            if (r.Next(8) == 0 && bytes.Length > 0) bytes[r.Next(bytes.Length)] = (byte)r.Next(0x80, 0x100);   // invalid UTF-8
            File.WriteAllBytes(temp.File("vocab.txt"), bytes);
            var tokenizer = BertWordPieceTokenizer.FromDirectory(temp.Path);
            foreach (string text in HostileTexts)
            {
                var ids = tokenizer.Encode(text, HostileTexts[r.Next(HostileTexts.Length)], maxLength: 32).InputIds;
                Assert.IsTrue(ids.All(id => id >= 0 && id < tokenizer.VocabularySize));
                tokenizer.Decode(ids);
            }
        });
    }

    [TestMethod]
    public void Tokenizer_RandomText_NeverThrows()
    {
        var tokenizer = BertWordPieceTokenizer.FromVocabulary(TinyBertCheckpoint.Vocabulary);
        char[] pool = ['a', 'c', 't', ' ', '.', '#', '[', ']', 'M', 'A', 'S', 'K', '\u0000', '\t', '\n', '\u00AD', '\u0301', 'é', '東',
            '\uD800', '\uDC00', '\uD83D', '\uDE00', '\uFFFD', '\uFFFE', '\uFFFF', '\u200D', '\u3000', 'İ', 'ß', '\u0130'];
        Fuzz(1000, [], (r, _) =>
        {
            string text = new(Enumerable.Range(0, r.Next(0, 60)).Select(_ => pool[r.Next(pool.Length)]).ToArray());
            var e = tokenizer.Encode(text, r.Next(2) == 0 ? null : text, maxLength: r.Next(4, 40));
            Assert.IsTrue(e.InputIds.All(id => id >= 0 && id < tokenizer.VocabularySize));
        });
    }
}
