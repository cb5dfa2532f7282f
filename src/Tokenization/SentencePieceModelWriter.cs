using System.Text;

namespace MLNet.Transformers.Tokenization;

/// <summary>
/// Writes a SentencePiece <c>ModelProto</c> (github.com/google/sentencepiece, <c>sentencepiece_model.proto</c>) from the
/// pieces and scores of a Hugging Face <c>tokenizer.json</c>, so Microsoft.ML.Tokenizers' <c>SentencePieceTokenizer</c>
/// (which reads only that protobuf) can run the Unigram model. Only the fields it reads are written. The protobuf
/// encoding is a few lines (varints, length-delimited fields, little-endian floats), so no protobuf dependency is needed.
/// </summary>
internal static class SentencePieceModelWriter
{
    /// <summary>SentencePiece's piece types (<c>ModelProto.SentencePiece.Type</c>).</summary>
    public enum PieceType { Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6 }

    /// <summary>Field numbers of sentencepiece_model.proto (ModelProto, SentencePiece, TrainerSpec, NormalizerSpec).</summary>
    private const int ModelPieces = 1, ModelTrainerSpec = 2, ModelNormalizerSpec = 3;
    private const int PiecePiece = 1, PieceScore = 2, PieceType_ = 3;
    private const int TrainerModelType = 3, TrainerVocabSize = 4, TrainerUnkId = 40, TrainerBosId = 41, TrainerEosId = 42, TrainerPadId = 43;
    private const int NormalizerName = 1, NormalizerCharsmap = 2, NormalizerAddDummyPrefix = 3, NormalizerRemoveExtraWhitespaces = 4, NormalizerEscapeWhitespaces = 5;
    private const int UnigramModelType = 1;

    /// <summary>Serialises a Unigram model: pieces in id order, special ids, and a normaliser with a precompiled charsmap.</summary>
    public static byte[] WriteUnigram(IReadOnlyList<(string Piece, float Score, PieceType Type)> pieces, int unkId, int bosId, int eosId, int padId,
        byte[] precompiledCharsmap, bool addDummyPrefix, bool removeExtraWhitespaces)
    {
        using var model = new MemoryStream();
        foreach (var (piece, score, type) in pieces)
        {
            using var p = new MemoryStream();
            WriteBytes(p, PiecePiece, Encoding.UTF8.GetBytes(piece));
            WriteFloat(p, PieceScore, score);
            WriteInt(p, PieceType_, (int)type);
            WriteBytes(model, ModelPieces, p.ToArray());
        }

        using var trainer = new MemoryStream();
        WriteInt(trainer, TrainerModelType, UnigramModelType);
        WriteInt(trainer, TrainerVocabSize, pieces.Count);
        WriteInt(trainer, TrainerUnkId, unkId);
        WriteInt(trainer, TrainerBosId, bosId);
        WriteInt(trainer, TrainerEosId, eosId);
        WriteInt(trainer, TrainerPadId, padId);
        WriteBytes(model, ModelTrainerSpec, trainer.ToArray());

        using var normalizer = new MemoryStream();
        WriteBytes(normalizer, NormalizerName, Encoding.UTF8.GetBytes("nmt_nfkc"));
        WriteBytes(normalizer, NormalizerCharsmap, precompiledCharsmap);
        WriteInt(normalizer, NormalizerAddDummyPrefix, addDummyPrefix ? 1 : 0);
        WriteInt(normalizer, NormalizerRemoveExtraWhitespaces, removeExtraWhitespaces ? 1 : 0);
        WriteInt(normalizer, NormalizerEscapeWhitespaces, 1);
        WriteBytes(model, ModelNormalizerSpec, normalizer.ToArray());
        return model.ToArray();
    }

    private static void WriteVarint(Stream s, ulong value)
    {
        while (value >= 0x80) { s.WriteByte((byte)(value | 0x80)); value >>= 7; }
        s.WriteByte((byte)value);
    }

    private static void WriteTag(Stream s, int field, int wireType) => WriteVarint(s, (ulong)((field << 3) | wireType));

    private static void WriteInt(Stream s, int field, int value)
    {
        WriteTag(s, field, 0);
        WriteVarint(s, unchecked((ulong)(long)value)); // negative int32 → 10-byte two's complement, as protobuf
    }

    private static void WriteFloat(Stream s, int field, float value)
    {
        WriteTag(s, field, 5);
        Span<byte> bytes = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
        s.Write(bytes);
    }

    private static void WriteBytes(Stream s, int field, byte[] bytes)
    {
        WriteTag(s, field, 2);
        WriteVarint(s, (ulong)bytes.Length);
        s.Write(bytes);
    }
}
