using Microsoft.ML;
using MLNet.Transformers.Training;

namespace MLNet.Transformers.Estimators;

/// <summary>
/// Options of <c>mlContext.MulticlassClassification.Trainers.QuestionAnswer</c>: extractive QA with a BERT, RoBERTa or DistilBERT checkpoint.
/// Column names and the defaults of TopK, BatchSize and MaxEpochs are ML.NET's own QuestionAnswer trainer's; windowing
/// and span limits follow HF's question-answering pipeline.
/// </summary>
public sealed class QuestionAnsweringOptions
{
    /// <summary>HF checkpoint (config.json with model_type bert, roberta or distilbert + model.safetensors + vocab.txt, or RoBERTa's vocab.json + merges.txt); its <c>qa_outputs</c> head is used when present, else starts fresh. Also a Hugging Face Hub id, "org/name" or "org/name@revision" (downloaded into the Hub cache, resolved when the estimator is created), or an encoder .onnx file.</summary>
    public string CheckpointDirectory { get; set; } = "";

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

    /// <summary>Windows per batch, in training and in scoring.</summary>
    public int BatchSize { get; set; } = 4;

    /// <summary>Passes over the training data; 0 trains nothing and answers with the checkpoint's <c>qa_outputs</c> head as it is.</summary>
    public int MaxEpochs { get; set; } = 10;

    /// <summary>Rows (same columns as the training data) whose loss is reported during training and drives early stopping.</summary>
    public IDataView? ValidationSet { get; set; }

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

    /// <summary>Arithmetic of the returned transformer when scoring: <see cref="Precision.Auto"/> (default: bf16 matmuls where the CPU has AVX512-BF16/AMX, fp32 elsewhere, decided on the host that scores), Float32, or BFloat16 with fp32 LayerNorm/residuals/softmax (training precision is <c>Training.UseBf16</c>). Saved with the model as set.</summary>
    public Precision Precision { get; set; } = Precision.Auto;

    /// <summary>TorchSharp device, e.g. "cpu" or "cuda".</summary>
    public string Device { get; set; } = "cpu";

    /// <summary>The shared training loop's settings (learning rate default 3e-5, as HF's SQuAD examples).</summary>
    public TrainerOptions Training { get; set; } = new() { LearningRate = 3e-5 };
}
