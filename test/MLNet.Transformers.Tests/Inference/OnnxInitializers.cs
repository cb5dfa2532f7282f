namespace MLNet.Transformers.Tests.Inference;

/// <summary>One initializer of an ONNX file: shape, TensorProto data type and little-endian raw bytes.</summary>
internal sealed record OnnxInitializer(long[] Dims, int DataType, byte[] Raw)
{
    public float[] Floats() => Cast<float>(1);

    public sbyte[] SBytes() => Cast<sbyte>(3);

    private T[] Cast<T>(int expected) where T : unmanaged => DataType == expected
        ? System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(Raw).ToArray()
        : throw new InvalidOperationException($"Initializer has data type {DataType}, not {expected}.");
}

/// <summary>Reads the initializers (weights) of an ONNX file, so tests can check what the exporter wrote.</summary>
internal static class OnnxInitializers
{
    public static Dictionary<string, OnnxInitializer> Read(string path) =>
        global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(path)).Graph.Initializer
            .ToDictionary(t => t.Name, t => new OnnxInitializer([.. t.Dims], t.DataType, t.RawData.ToByteArray()));
}
