using MLNet.Transformers.Tokenization;

namespace MLNet.Transformers.Transforms;

/// <summary>A (question, context) pair ready for the model: the context's tokens and the windows over them.</summary>
internal sealed record QaExample(string Context, TokenizedText ContextTokens, List<QaWindow> Windows, QaWindowing.Geometry Geometry);

/// <summary>
/// Tokenizes a question once (cut to <c>maxQuestionLength</c> tokens) and its context once, and cuts the context into
/// windows (<see cref="QaWindowing"/>) laid out as the tokenizer's family packs pairs (<see cref="IEncoderTokenizer.PairTemplate"/>).
/// Shared by training and inference so both see the same windows.
/// </summary>
internal sealed class QaEncoder(IEncoderTokenizer tokenizer, int maxSequenceLength, int documentStride, int maxQuestionLength)
{
    /// <summary>The tokenizer.</summary>
    public IEncoderTokenizer Tokenizer => tokenizer;

    /// <summary>Tokenizes and windows one (question, context) pair.</summary>
    public QaExample Encode(string question, string context)
    {
        var questionIds = tokenizer.Tokenize(question ?? "");
        if (questionIds.Length > maxQuestionLength) questionIds = questionIds[..maxQuestionLength];
        var contextTokens = TokenizedText.Create(tokenizer, context ?? "");
        var template = tokenizer.PairTemplate;
        var geometry = QaWindowing.Measure(maxSequenceLength, questionIds.Length, documentStride, template.Count);
        var windows = QaWindowing.Build(questionIds, contextTokens.Ids, geometry, template);
        return new QaExample(context ?? "", contextTokens, windows, geometry);
    }
}
