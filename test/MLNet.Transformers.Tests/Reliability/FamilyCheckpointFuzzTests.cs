using System.Diagnostics;
using System.Text.RegularExpressions;
using MLNet.Transformers.Checkpoints;
using MLNet.Transformers.Models.DistilBert;
using MLNet.Transformers.Models.Gpt2;
using MLNet.Transformers.Models.Roberta;
using MLNet.Transformers.Models.T5;
using MLNet.Transformers.Tests.Checkpoints;
using MLNet.Transformers.Tests.Encoders;
using MLNet.Transformers.Tests.Models;
using MLNet.Transformers.Tests.Models.T5;

namespace MLNet.Transformers.Tests.Reliability;

/// <summary>
/// Issue 20, fuzz per family (BERT's checkpoint is fuzzed in <see cref="ReaderFuzzTests"/>): seeded mutations of config.json
/// values and of the safetensors header of the GPT-2, T5, RoBERTa and DistilBERT fixtures. Every case must load or throw a
/// documented exception (CheckpointFormatException, ArgumentException, InvalidOperationException) — never allocate without
/// bound, crash natively or throw anything else. Each family runs at most 300 cases within a 15 s budget (fixed seed: a
/// failure names the case to replay).
/// </summary>
[TestClass]
public sealed class FamilyCheckpointFuzzTests
{
    private const int Seed = 20261208, MaxCases = 300;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(15);
    private static readonly Type[] Allowed = [typeof(CheckpointFormatException), typeof(ArgumentException), typeof(InvalidOperationException)];
    private static readonly string[] JsonValues =
        ["0", "-1", "1", "2", "3", "7", "64", "2147483647", "-2147483648", "9223372036854775807", "1e30", "1.5", "\"\"", "\"gelu\"", "\"relu\"",
         "\"gated-gelu\"", "null", "true", "[]", "{}", "99999999999999999999999", "1000000"];

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [DataRow("gpt2")]
    [DataRow("t5")]
    [DataRow("roberta")]
    [DataRow("distilbert")]
    public void MutatedConfigsAndHeaders_LoadOrThrowDocumentedExceptions(string family)
    {
        using var fixture = family is "roberta" or "distilbert" ? EncoderFineTuningTests.WithTokenizerVocabulary(family) : null;
        string source = family switch
        {
            "gpt2" => Gpt2Fixture.Directory,
            "t5" => T5Fixture.Directory,
            _ => EncoderFineTuningTests.Folder(fixture!, "Pretrained"),
        };
        Func<string, IDisposable> load = family switch
        {
            "gpt2" => d => Gpt2Checkpoint.Load(d),
            "t5" => d => T5Checkpoint.Load(d),
            "roberta" => d => RobertaCheckpoint.LoadEncoder(d, withPooler: false),
            _ => d => DistilBertCheckpoint.LoadEncoder(d),
        };
        string config = File.ReadAllText(Path.Combine(source, "config.json"));
        byte[] weights = File.ReadAllBytes(Path.Combine(source, "model.safetensors"));
        int headerEnd = 8 + (int)BitConverter.ToUInt64(weights, 0);
        var fields = Regex.Matches(config, "\"([a-z_0-9]+)\"\\s*:\\s*(-?[0-9][^,\\n}]*|true|false|null|\"[^\"]*\")").Select(m => m.Groups[1].Value).Distinct().ToArray();

        using var temp = new TempDirectory();
        foreach (var file in Directory.GetFiles(source)) File.Copy(file, temp.File(Path.GetFileName(file)));
        var clock = Stopwatch.StartNew();
        int cases = 0, rejected = 0;
        var unexpected = new List<string>();
        for (; cases < MaxCases && clock.Elapsed < Budget; cases++)
        {
            var r = new Random(Seed + cases);
            string mutated = config;
            byte[] bytes = weights;
            if (cases % 4 == 3)
            {
                bytes = (byte[])weights.Clone();
                for (int k = r.Next(1, 4); k > 0; k--) { int bit = r.Next(headerEnd * 8); bytes[bit / 8] ^= (byte)(1 << (bit % 8)); }
            }
            else
                for (int k = r.Next(1, 3); k > 0; k--)
                {
                    string field = fields[r.Next(fields.Length)];
                    mutated = Regex.Replace(mutated, $"(\"{field}\"\\s*:\\s*)(-?[0-9][^,\\n}}]*|true|false|null|\"[^\"]*\")",
                        m => r.Next(8) == 0 ? "\"x_removed\": 0" : m.Groups[1].Value + JsonValues[r.Next(JsonValues.Length)]);
                }
            File.WriteAllText(temp.File("config.json"), mutated);
            File.WriteAllBytes(temp.File("model.safetensors"), bytes);
            try { load(temp.Path).Dispose(); }
            catch (Exception e) when (Allowed.Contains(e.GetType())) { rejected++; }
            catch (Exception e) { unexpected.Add($"case {cases} (seed {Seed + cases}): {e.GetType().FullName}: {e.Message}"); }
        }
        TestContext.WriteLine($"{family}: {cases} cases in {clock.Elapsed.TotalSeconds:F1} s: {cases - rejected - unexpected.Count} loaded, {rejected} refused, {unexpected.Count} unexpected");
        Assert.IsGreaterThan(20, cases, "cases run within the budget");
        Assert.AreEqual(0, unexpected.Count, string.Join("\n", unexpected.Take(10)));
    }
}
