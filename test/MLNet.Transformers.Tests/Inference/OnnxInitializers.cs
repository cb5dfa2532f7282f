using Google.Protobuf;

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

/// <summary>
/// Reads the initializers (weights) of an ONNX file with the protobuf wire format (onnx.proto field numbers: ModelProto.graph 7,
/// GraphProto.initializer 5, TensorProto dims 1 / data_type 2 / name 8 / raw_data 9), so tests can check what the exporter wrote.
/// </summary>
internal static class OnnxInitializers
{
    public static Dictionary<string, OnnxInitializer> Read(string path)
    {
        var result = new Dictionary<string, OnnxInitializer>();
        foreach (var graph in Fields(ByteString.CopyFrom(File.ReadAllBytes(path)), 7))
            foreach (var tensor in Fields(graph, 5))
            {
                var input = tensor.CreateCodedInput();
                var (dims, type, name, raw) = (new List<long>(), 0, "", Array.Empty<byte>());
                for (uint tag; (tag = input.ReadTag()) != 0;)
                    switch (WireFormat.GetTagFieldNumber(tag))
                    {
                        case 1 when WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited:   // packed (proto3 writers)
                            var packed = input.ReadBytes().CreateCodedInput();
                            while (!packed.IsAtEnd) dims.Add(packed.ReadInt64());
                            break;
                        case 1: dims.Add(input.ReadInt64()); break;
                        case 2: type = input.ReadInt32(); break;
                        case 8: name = input.ReadString(); break;
                        case 9: raw = input.ReadBytes().ToByteArray(); break;
                        default: input.SkipLastField(); break;
                    }
                result[name] = new OnnxInitializer([.. dims], type, raw);
            }
        return result;
    }

    // The length-delimited fields numbered `field` of a message.
    private static IEnumerable<ByteString> Fields(ByteString message, int field)
    {
        var input = message.CreateCodedInput();
        var found = new List<ByteString>();
        for (uint tag; (tag = input.ReadTag()) != 0;)
            if (WireFormat.GetTagFieldNumber(tag) == field && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
                found.Add(input.ReadBytes());
            else
                input.SkipLastField();
        return found;
    }
}
