using MLNet.Transformers.Tokenization;

namespace MLNet.Transformers.Transforms;

/// <summary>A (question, context) pair ready for the model: the context's tokens and the windows over them.</summary>
public sealed record QaExample(string Context, TokenizedText ContextTokens, List<QaWindow> Windows, QaWindowing.Geometry Geometry);

/// <summary>
/// Tokenizes a question once (cut to <c>maxQuestionLength</c> tokens) and its context once, and cuts the context into
/// windows (<see cref="QaWindowing"/>). Shared by training and inference so both see the same windows.
/// </summary>
public sealed class QaEncoder(BertWordPieceTokenizer tokenizer, int maxSequenceLength, int documentStride, int maxQuestionLength)
{
    /// <summary>The tokenizer.</summary>
    public BertWordPieceTokenizer Tokenizer => tokenizer;

    /// <summary>Tokenizes and windows one (question, context) pair.</summary>
    public QaExample Encode(string question, string context)
    {
        var questionIds = tokenizer.Tokenize(question ?? "");
        if (questionIds.Length > maxQuestionLength) questionIds = questionIds[..maxQuestionLength];
        var contextTokens = TokenizedText.Create(tokenizer, context ?? "");
        var geometry = QaWindowing.Measure(maxSequenceLength, questionIds.Length, documentStride);
        var windows = QaWindowing.Build(questionIds, contextTokens.Ids, geometry, tokenizer.ClsTokenId, tokenizer.SepTokenId);
        return new QaExample(context ?? "", contextTokens, windows, geometry);
    }
}
