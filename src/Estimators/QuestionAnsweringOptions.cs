namespace MLNet.Transformers.Estimators;

/// <summary>
/// Options of <c>mlContext.MulticlassClassification.Trainers.QuestionAnswer</c>: extractive QA with a BERT, RoBERTa or DistilBERT checkpoint.
/// Column names and the defaults of TopK, BatchSize and MaxEpochs are ML.NET's own QuestionAnswer trainer's; windowing
/// and span limits follow HF's question-answering pipeline.
/// </summary>
public sealed class QuestionAnsweringOptions : EncoderFineTuningOptions
{
    /// <summary>Creates the options with ML.NET's QuestionAnswer defaults: BatchSize 4 windows, and learning rate 3e-5 (as HF's SQuAD examples).</summary>
    public QuestionAnsweringOptions()
    {
        BatchSize = 4;
        Training = new() { LearningRate = 3e-5 };
    }

    /// <summary>Input: the paragraph (<see cref="string"/>), of any length: it is read in overlapping windows.</summary>
    public string ContextColumnName { get; set; } = "Context";

    /// <summary>Input: the question (<see cref="string"/>).</summary>
    public string QuestionColumnName { get; set; } = "Question";

    /// <summary>Training input: the answer text (<see cref="string"/>), which must be the context's text at <see cref="AnswerIndexColumnName"/>; "" = no answer.</summary>
    public string TrainingAnswerColumnName { get; set; } = "TrainingAnswer";

    /// <summary>Training input: the answer's character index in the context (<see cref="int"/>, SQuAD's <c>answer_start</c>; ignored for "" answers).</summary>
    public string AnswerIndexColumnName { get; set; } = "AnswerIndex";

    /// <summary>Output: text vector of the top-k distinct answers, best first ("" is the empty answer).</summary>
    public string PredictedAnswerColumnName { get; set; } = "Answer";

    /// <summary>Output: float vector of their scores p_start·p_end (the empty answer's is the null score).</summary>
    public string ScoreColumnName { get; set; } = "Score";

    /// <summary>Optional output: int vector of each answer's character index in the context (−1 for the empty answer); null = no column.</summary>
    public string? AnswerStartColumnName { get; set; }

    /// <summary>Answers per question.</summary>
    public int TopK { get; set; } = 3;

    /// <summary>Tokens per window, [CLS]/[SEP] included; null = min(384, the model's max_position_embeddings), as HF.</summary>
    public int? MaxSequenceLength { get; set; }

    /// <summary>Tokens shared by consecutive windows of a long context; null = min(128, MaxSequenceLength / 2), as HF.</summary>
    public int? DocumentStride { get; set; }

    /// <summary>Question tokens kept (longer questions are cut; at most MaxSequenceLength − 4), as HF documents <c>max_question_len</c>.</summary>
    public int MaxQuestionLength { get; set; } = 64;

    /// <summary>Longest answer in tokens, as HF's <c>max_answer_len</c>.</summary>
    public int MaxAnswerLength { get; set; } = 15;

    /// <summary>SQuAD 2.0: the empty answer is ranked too (scored with the smallest null score over windows), as HF's <c>handle_impossible_answer</c>.</summary>
    public bool AllowNoAnswer { get; set; }

    /// <summary>Skip (and count in the log) training rows whose TrainingAnswer is not the context's text at AnswerIndex, instead of failing.</summary>
    public bool SkipMisalignedAnswers { get; set; }
}
