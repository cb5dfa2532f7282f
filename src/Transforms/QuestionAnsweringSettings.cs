namespace MLNet.Transformers.Transforms;

/// <summary>What a <see cref="QuestionAnsweringTransformer"/> was configured with (saved inside the ML.NET model).</summary>
/// <param name="ContextColumnName">Input text column: the paragraph.</param>
/// <param name="QuestionColumnName">Input text column: the question.</param>
/// <param name="AnswerColumnName">Output text vector: top-k distinct answers, best first.</param>
/// <param name="ScoreColumnName">Output float vector: their scores.</param>
/// <param name="AnswerStartColumnName">Optional output int vector: their character indices (−1 for the empty answer); null = none.</param>
/// <param name="TopK">Answers per question.</param>
/// <param name="MaxSequenceLength">Tokens per window.</param>
/// <param name="DocumentStride">Tokens shared by consecutive windows.</param>
/// <param name="MaxQuestionLength">Question tokens kept.</param>
/// <param name="MaxAnswerLength">Longest answer in tokens.</param>
/// <param name="AllowNoAnswer">Whether the empty answer is ranked.</param>
/// <param name="BatchSize">Windows per forward pass.</param>
/// <param name="Device">TorchSharp device.</param>
/// <param name="Precision">Scoring arithmetic, as the estimator's options set it: Auto (resolved on the host that scores: bf16 with AVX512-BF16/AMX, else fp32), Float32 or BFloat16 (bf16 matmuls with fp32 LayerNorm/residuals/softmax). Models saved before it existed load as Float32.</param>
/// <param name="LengthBucketing">When scoring an IDataView, sort each window of several batches by text length so short rows share batches; rows come back in their original order.</param>
public sealed record QuestionAnsweringSettings(string ContextColumnName = "Context", string QuestionColumnName = "Question",
    string AnswerColumnName = "Answer", string ScoreColumnName = "Score", string? AnswerStartColumnName = null, int TopK = 3,
    int MaxSequenceLength = 384, int DocumentStride = 128, int MaxQuestionLength = 64, int MaxAnswerLength = 15,
    bool AllowNoAnswer = false, int BatchSize = 4, string Device = "cpu",
    Precision Precision = Precision.Float32, bool LengthBucketing = true);
