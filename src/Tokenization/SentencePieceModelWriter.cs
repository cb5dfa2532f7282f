using Google.Protobuf;
using Sentencepiece;

namespace MLNet.Transformers.Tokenization;

/// <summary>
/// Writes a SentencePiece <c>ModelProto</c> (types generated from github.com/google/sentencepiece's
/// <c>sentencepiece_model.proto</c>) from the pieces and scores of a Hugging Face <c>tokenizer.json</c>, so Microsoft.ML.Tokenizers'
/// <c>SentencePieceTokenizer</c> (which reads only that protobuf) can run the Unigram model. Only the fields it reads are set;
/// proto2 presence writes each of them even when it equals the default (add_dummy_prefix false must be said).
/// </summary>
internal static class SentencePieceModelWriter
{
    /// <summary>SentencePiece's piece types (<c>ModelProto.SentencePiece.Type</c>).</summary>
    public enum PieceType { Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6 }

    /// <summary>Serialises a Unigram model: pieces in id order, special ids, and a normaliser with a precompiled charsmap.</summary>
    public static byte[] WriteUnigram(IReadOnlyList<(string Piece, float Score, PieceType Type)> pieces, int unkId, int bosId, int eosId, int padId,
        byte[] precompiledCharsmap, bool addDummyPrefix, bool removeExtraWhitespaces)
    {
        var model = new ModelProto
        {
            TrainerSpec = new TrainerSpec
            {
                ModelType = TrainerSpec.Types.ModelType.Unigram, VocabSize = pieces.Count,
                UnkId = unkId, BosId = bosId, EosId = eosId, PadId = padId,
            },
            NormalizerSpec = new NormalizerSpec
            {
                Name = "nmt_nfkc", PrecompiledCharsmap = ByteString.CopyFrom(precompiledCharsmap),
                AddDummyPrefix = addDummyPrefix, RemoveExtraWhitespaces = removeExtraWhitespaces, EscapeWhitespaces = true,
            },
        };
        foreach (var (piece, score, type) in pieces)
            model.Pieces.Add(new ModelProto.Types.SentencePiece { Piece = piece, Score = score, Type = (ModelProto.Types.SentencePiece.Types.Type)type });
        return model.ToByteArray();
    }
}
