using System.Text;

namespace MLNet.Transformers.Onnx;

/// <summary>
/// The few protobuf wire-format primitives an ONNX file needs (varints, length-delimited bytes, fixed32 floats, nested
/// messages). .NET has no ONNX builder and ONNX is a plain protobuf message, so we write it by hand rather than pull in
/// a protobuf runtime and generated code for a write-only use.
/// </summary>
internal sealed class ProtoWriter
{
    private readonly MemoryStream _buffer = new();

    public ProtoWriter Varint(int field, long value) { Tag(field, 0); WriteVarint((ulong)value); return this; }

    public ProtoWriter Float(int field, float value) { Tag(field, 5); _buffer.Write(BitConverter.GetBytes(value)); return this; }

    public ProtoWriter Bytes(int field, ReadOnlySpan<byte> value) { Tag(field, 2); WriteVarint((ulong)value.Length); _buffer.Write(value); return this; }

    public ProtoWriter String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    public ProtoWriter Message(int field, Action<ProtoWriter> write)
    {
        var inner = new ProtoWriter();
        write(inner);
        return Bytes(field, inner._buffer.GetBuffer().AsSpan(0, (int)inner._buffer.Length));
    }

    public void WriteTo(Stream stream) => _buffer.WriteTo(stream);

    private void Tag(int field, int wireType) => WriteVarint((ulong)((field << 3) | wireType));

    private void WriteVarint(ulong value)
    {
        while (value >= 0x80) { _buffer.WriteByte((byte)(value | 0x80)); value >>= 7; }
        _buffer.WriteByte((byte)value);
    }
}
