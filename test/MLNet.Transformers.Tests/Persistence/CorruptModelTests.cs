using System.IO.Compression;
using Microsoft.ML;
using MLNet.Transformers.FreshProcess;
using MLNet.Transformers.Tests.Infrastructure;

namespace MLNet.Transformers.Tests.Persistence;

/// <summary>A model file is untrusted input: a tampered checkpoint payload must fail with a clear message, writing nothing outside.</summary>
[TestClass]
public sealed class CorruptModelTests
{
    private const string CheckpointEntry = "TransformerChain/Transform_000/Payload.Checkpoint";

    private static string SaveThenReplaceCheckpoint(Action<BinaryWriter> writeCheckpoint)
    {
        using var fixture = new TextStatsFixture();
        var ml = new MLContext(seed: 1);
        var data = ProbeData.Sample(ml);
        var model = fixture.Estimator().Append(ml.Transforms.Concatenate("Features", "Stats")).Fit(data);
        string path = Path.Combine(Path.GetTempPath(), "mlnet-transformers-corrupt-" + Guid.NewGuid().ToString("N") + ".zip");
        ml.Model.Save(model, data.Schema, path);
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Update))
        {
            zip.GetEntry(CheckpointEntry)!.Delete();
            using var writer = new BinaryWriter(zip.CreateEntry(CheckpointEntry).Open());
            writeCheckpoint(writer);
        }
        return path;
    }

    private static string LoadError(string path)
    {
        try
        {
            var e = Assert.Throws<Exception>(() => new MLContext().Model.Load(path, out _));
            return string.Join(" | ", Enumerable.Repeat(e, 1).Concat(Inner(e)).Select(x => x.Message));
        }
        finally { File.Delete(path); }
    }

    private static IEnumerable<Exception> Inner(Exception e)
    {
        for (var inner = e.InnerException; inner is not null; inner = inner.InnerException) yield return inner;
    }

    [TestMethod]
    public void Load_RejectsCheckpointPathEscapingTheDirectory()
    {
        string escaped = Path.Combine(Path.GetTempPath(), "evil-" + Guid.NewGuid().ToString("N") + ".txt");
        string path = SaveThenReplaceCheckpoint(w =>
        {
            w.Write(0x31524944);
            w.Write(1);
            w.Write("../" + Path.GetFileName(escaped));
            w.Write(3L);
            w.Write(new byte[] { 1, 2, 3 });
        });
        StringAssert.Contains(LoadError(path), "Payload item 'Checkpoint' in the model file is corrupt: invalid file path '../evil-");
        Assert.IsFalse(File.Exists(escaped));
    }

    [TestMethod]
    public void Load_RejectsCheckpointFileLongerThanTheStream()
    {
        string path = SaveThenReplaceCheckpoint(w =>
        {
            w.Write(0x31524944);
            w.Write(1);
            w.Write("config.json");
            w.Write(1L << 40);
        });
        StringAssert.Contains(LoadError(path), "file 'config.json' claims 1099511627776 bytes, beyond the end of the stream");
    }
}
