using System.IO.Compression;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML;
using MLNet.Transformers.FreshProcess;
using MLNet.Transformers.Tests.Infrastructure;

namespace MLNet.Transformers.Tests.Reliability;

/// <summary>
/// Issue 10, item 5: .NET's ZipArchive does not verify CRC-32, so single-bit flips inside a saved checkpoint loaded silently
/// (49 of 60). Every payload item now carries a SHA-256 checked at load; invalid saved settings fail at Load.
/// </summary>
[TestClass]
public sealed class ModelFileIntegrityTests
{
    private sealed class Row { public string Text { get; set; } = ""; }

    private static string SaveTextStatsModel()
    {
        using var fixture = new TextStatsFixture();
        var ml = new MLContext(seed: 1);
        var data = ProbeData.Sample(ml);
        var model = fixture.Estimator().Append(ml.Transforms.Concatenate("Features", "Stats")).Fit(data);
        string path = Path.Combine(Path.GetTempPath(), "mlnet-integrity-" + Guid.NewGuid().ToString("N") + ".zip");
        ml.Model.Save(model, data.Schema, path);
        return path;
    }

    /// <summary>Rewrites the (uncompressed) bytes of the entry ending in <paramref name="suffix"/>; the zip's CRC stays valid.</summary>
    private static void EditEntry(string zipPath, string suffix, Func<byte[], byte[]> edit)
    {
        using var zip = ZipFile.Open(zipPath, ZipArchiveMode.Update);
        var entry = zip.Entries.Single(e => e.FullName.EndsWith(suffix, StringComparison.Ordinal));
        string name = entry.FullName;
        byte[] bytes;
        using (var input = entry.Open()) { using var copy = new MemoryStream(); input.CopyTo(copy); bytes = copy.ToArray(); }
        entry.Delete();
        using var output = zip.CreateEntry(name).Open();
        output.Write(edit(bytes));
    }

    [TestMethod]
    public void SingleBitFlipsInTheCheckpointEntry_AllFailAtLoadNamingTheEntry()
    {
        string original = SaveTextStatsModel();
        try
        {
            var random = new Random(10);
            for (int i = 0; i < 30; i++)
            {
                string copy = original + i + ".zip";
                File.Copy(original, copy);
                try
                {
                    EditEntry(copy, "/Payload.Checkpoint", b =>
                    {
                        int bit = random.Next(b.Length * 8);
                        b[bit / 8] ^= (byte)(1 << (bit % 8));
                        return b;
                    });
                    var e = Assert.Throws<InvalidOperationException>(() => new MLContext().Model.LoadUnwrapped(copy, out _), $"flip {i} loaded silently");
                    StringAssert.Contains(e.Message, "Model entry 'TransformerChain/Transform_000/Payload.Checkpoint' is corrupt: its SHA-256 is");
                }
                finally { File.Delete(copy); }
            }
        }
        finally { File.Delete(original); }
    }

    [TestMethod]
    public void PlainModelLoad_InnermostExceptionNamesTheEntry_AndTheHelperUnwrapsIt()
    {
        string path = SaveTextStatsModel();
        try
        {
            EditEntry(path, "/Payload.Options.json", b => Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(b).Replace("\"Text\"", "\"Txet\"")));
            var wrapped = Assert.Throws<Exception>(() => new MLContext().Model.Load(path, out _));
            var innermost = wrapped;
            while (innermost.InnerException is not null) innermost = innermost.InnerException;
            StringAssert.Contains(innermost.Message, "Payload.Options.json' is corrupt: its SHA-256 is");
            Assert.IsInstanceOfType<TargetInvocationException>(wrapped, "ML.NET's own loader wraps it (hence the helper)");

            var unwrapped = Assert.ThrowsExactly<InvalidOperationException>(() => new MLContext().Model.LoadUnwrapped(path, out _));
            Assert.AreEqual(innermost.Message, unwrapped.Message);
        }
        finally { File.Delete(path); }
    }

    [TestMethod]
    [DataRow("MaxSequenceLength", "-5", "MaxSequenceLength -5 must be at least 3")]
    [DataRow("Pooling", "7", "Pooling 7 is not one of Cls, Mean, Pooler")]
    [DataRow("InputColumnName", "null", "InputColumnName must be a column name")]
    [DataRow("BatchSize", "0", "BatchSize 0 must be at least 1")]
    public void InvalidSavedSettings_FailAtLoadNotAtFirstUse(string field, string value, string expected)
    {
        using var tiny = new TinyBertCheckpoint();
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new Row { Text = "the cat" } });
        string path = Path.Combine(Path.GetTempPath(), "mlnet-settings-" + Guid.NewGuid().ToString("N") + ".zip");
        using (var transformer = ml.Transforms.Text.TransformerEmbedding(tiny.Path, "E", "Text").Fit(data))
            ml.Model.Save(transformer, data.Schema, path);
        try
        {
            // A consistent edit: the settings AND their checksum are rewritten, so only the settings' validation can catch it.
            string newHash = "";
            EditEntry(path, "/Payload.Settings.json", b =>
            {
                var json = JsonNode.Parse(b)!.AsObject();
                json[field] = JsonNode.Parse(value);
                byte[] edited = Encoding.UTF8.GetBytes(json.ToJsonString());
                newHash = Convert.ToHexStringLower(SHA256.HashData(edited));
                return edited;
            });
            EditEntry(path, "/PayloadChecksums.json", b =>
            {
                var sums = JsonSerializer.Deserialize<Dictionary<string, string>>(b)!;
                sums["Settings.json"] = newHash;
                return JsonSerializer.SerializeToUtf8Bytes(sums);
            });
            var e = Assert.ThrowsExactly<InvalidOperationException>(() => new MLContext().Model.LoadUnwrapped(path, out _));
            StringAssert.Contains(e.Message, "Payload.Settings.json' is corrupt: it holds invalid TransformerEmbeddingSettings: " + expected);
        }
        finally { File.Delete(path); }
    }
}
