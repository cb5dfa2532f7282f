using System.Buffers.Binary;
using System.Text;
using MLNet.Transformers.Checkpoints;

namespace MLNet.Transformers.Tests.Checkpoints;

/// <summary>Malformed files built byte by byte: each must fail with a message naming the file and the problem.</summary>
[TestClass]
public sealed class SafeTensorsMalformedFileTests
{
    private TempDirectory _dir = null!;

    [TestInitialize]
    public void CreateDirectory() => _dir = new TempDirectory();

    [TestCleanup]
    public void DeleteDirectory() => _dir.Dispose();

    /// <summary>Writes the 8-byte length (the real one unless overridden), the header bytes and a data buffer.</summary>
    private string WriteFile(string header, int dataBytes, ulong? headerLength = null)
    {
        string path = _dir.File("bad.safetensors");
        byte[] json = Encoding.UTF8.GetBytes(header);
        var file = new byte[8 + json.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(file, headerLength ?? (ulong)json.Length);
        json.CopyTo(file, 8);
        File.WriteAllBytes(path, file);
        return path;
    }

    private static void AssertRejected(string path, params string[] problem)
    {
        var e = Assert.ThrowsExactly<CheckpointFormatException>(() => SafeTensors.Load(path));
        Assert.AreEqual(path, e.FilePath);
        StringAssert.Contains(e.Message, path);
        foreach (string part in problem)
            StringAssert.Contains(e.Message, part);
    }

    [TestMethod]
    public void SafeTensors_RejectsFileShorterThanLengthPrefix()
    {
        string path = _dir.File("bad.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);
        AssertRejected(path, "3 bytes", "shorter than the 8-byte");
    }

    [TestMethod]
    public void SafeTensors_RejectsAbsurdHeaderLength()
    {
        AssertRejected(WriteFile("{}", 0, headerLength: ulong.MaxValue), "exceeds the 100000000-byte limit");
    }

    [TestMethod]
    public void SafeTensors_RejectsHeaderLengthBeyondFile()
    {
        AssertRejected(WriteFile("{}", 0, headerLength: 1000), "header length 1000 is beyond the end of the file");
    }

    [TestMethod]
    public void SafeTensors_RejectsInvalidJson()
    {
        AssertRejected(WriteFile("{\"a\": [", 0), "not valid UTF-8 JSON");
    }

    [TestMethod]
    public void SafeTensors_RejectsInvalidUtf8()
    {
        string path = _dir.File("bad.safetensors");
        byte[] json = [(byte)'{', (byte)'"', 0xFF, 0xFE, (byte)'"', (byte)':', (byte)'1', (byte)'}'];
        var file = new byte[8 + json.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)json.Length);
        json.CopyTo(file, 8);
        File.WriteAllBytes(path, file);
        AssertRejected(path, "not valid UTF-8 JSON");
    }

    [TestMethod]
    public void SafeTensors_RejectsLoneSurrogateInName()
    {
        AssertRejected(WriteFile("""{"\uD800":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}""", 1), "not valid Unicode");
    }

    [TestMethod]
    public void SafeTensors_RejectsHeaderThatIsNotAnObject()
    {
        AssertRejected(WriteFile("[1, 2]", 0), "must be a JSON object");
        AssertRejected(WriteFile(" {}", 0), "starting with '{'");
    }

    [TestMethod]
    public void SafeTensors_RejectsEntryMissingDtype()
    {
        AssertRejected(WriteFile("""{"w":{"shape":[1],"data_offsets":[0,4]}}""", 4), "'w'", "missing 'dtype'");
    }

    [TestMethod]
    public void SafeTensors_RejectsEntryMissingDataOffsets()
    {
        AssertRejected(WriteFile("""{"w":{"dtype":"F32","shape":[1]}}""", 4), "'w'", "missing 'data_offsets'");
    }

    [TestMethod]
    public void SafeTensors_RejectsUnknownDtype()
    {
        AssertRejected(WriteFile("""{"w":{"dtype":"F8_E9","shape":[1],"data_offsets":[0,1]}}""", 1), "'w'", "unknown or unsupported dtype 'F8_E9'");
    }

    [TestMethod]
    public void SafeTensors_RejectsNegativeShape()
    {
        AssertRejected(WriteFile("""{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}""", 4), "'w'", "'shape' must hold non-negative integers", "-1");
    }

    [TestMethod]
    public void SafeTensors_RejectsNonIntegerShape()
    {
        AssertRejected(WriteFile("""{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,6]}}""", 6), "'w'", "'shape' must hold non-negative integers", "1.5");
    }

    [TestMethod]
    public void SafeTensors_RejectsShapeTimesDtypeOverflow()
    {
        AssertRejected(WriteFile("""{"w":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,4]}}""", 4), "'w'", "overflows");
    }

    [TestMethod]
    public void SafeTensors_RejectsShapeTimesDtypeMismatchWithOffsets()
    {
        AssertRejected(WriteFile("""{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,12]}}""", 12), "'w'", "needs 24 bytes", "hold 12");
    }

    [TestMethod]
    public void SafeTensors_RejectsOffsetsOutOfRange()
    {
        AssertRejected(WriteFile("""{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", 8), "'w'", "out of range of the 8-byte data buffer");
    }

    [TestMethod]
    public void SafeTensors_RejectsOffsetsEndBeforeBegin()
    {
        AssertRejected(WriteFile("""{"w":{"dtype":"U8","shape":[0],"data_offsets":[4,0]}}""", 4), "'w'", "end 0 is before begin 4");
    }

    [TestMethod]
    public void SafeTensors_RejectsOverlappingOffsets()
    {
        AssertRejected(WriteFile("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12),
            "'b'", "overlap tensor 'a'");
    }

    [TestMethod]
    public void SafeTensors_RejectsHoleInDataBuffer()
    {
        AssertRejected(WriteFile("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""", 12),
            "'b'", "hole of 4 bytes", "fully indexed");
    }

    [TestMethod]
    public void SafeTensors_RejectsTrailingUnindexedBytes()
    {
        AssertRejected(WriteFile("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 8), "data buffer is 8 bytes but the tensors only index 4");
    }

    [TestMethod]
    public void SafeTensors_RejectsDuplicateTensorName()
    {
        AssertRejected(WriteFile("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8),
            "'a' twice", "duplicate key");
    }

    [TestMethod]
    public void SafeTensors_RejectsMetadataThatIsNotAStringMap()
    {
        string path = WriteFile("""{"__metadata__":{"format":1}}""", 0);
        var e = Assert.ThrowsExactly<CheckpointFormatException>(() => SafeTensors.ReadMetadata(path));
        StringAssert.Contains(e.Message, path);
        StringAssert.Contains(e.Message, "'__metadata__' entry 'format' must be a string");
    }

    [TestMethod]
    public void SafeTensors_RejectsMissingFile()
    {
        AssertRejected(_dir.File("absent.safetensors"), "not found");
    }

    [TestMethod]
    public void SafeTensors_AcceptsHandWrittenValidFile()
    {
        // Guards the tests above: the same builder produces a loadable file when nothing is wrong.
        string path = WriteFile("""{"__metadata__":{"format":"pt"},"b":{"dtype":"U8","shape":[2],"data_offsets":[4,6]},"a":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}  """, 6);
        var tensors = SafeTensors.Load(path);
        Assert.AreEqual(2, tensors.Count);
        CollectionAssert.AreEqual(new long[] { 2 }, tensors["b"].shape);
        foreach (var t in tensors.Values)
            t.Dispose();
    }
}
