using static TorchSharp.torch;

namespace MLNet.Transformers.Models;

/// <summary>Where a sequence-classification head reads the sentence representation.</summary>
public enum ClassificationHead
{
    /// <summary>Hugging Face's head: pooler (dense + tanh on [CLS]) → dropout → linear. Loads and saves HF checkpoints both ways.</summary>
    Pooler,
    /// <summary>The plain head: dropout → linear on the last hidden state at [CLS], no pooler (hidden × classes + classes new parameters).</summary>
    Cls,
}

/// <summary>The labels a classifier checkpoint is saved with: <c>id2label</c>/<c>label2id</c>, or <c>problem_type: regression</c>.</summary>
/// <param name="Names">Name of class i (for regression: one name, HF's "LABEL_0").</param>
/// <param name="IsRegression">True for one regression output (HF <c>problem_type: "regression"</c>).</param>
public sealed record ClassifierLabels(IReadOnlyList<string> Names, bool IsRegression = false);

/// <summary>
/// An encoder with a classification head, whatever the family (BERT, RoBERTa, DistilBERT): sequence heads give (B, NumLabels) logits,
/// token heads (B, T, NumLabels). Created by <see cref="EncoderCheckpoint"/> from a checkpoint's <c>model_type</c>, so the
/// task layer (estimators, transformers, training) never names a model family.
/// </summary>
public abstract class EncoderClassifier : nn.Module
{
    /// <summary>Creates the module.</summary>
    protected EncoderClassifier(string name) : base(name) { }

    /// <summary>Number of outputs of the head.</summary>
    public abstract int NumLabels { get; }

    /// <summary>Longest input the model has positions for (HF's <c>model_max_length</c> cap).</summary>
    public abstract int MaxPositions { get; }

    /// <summary>(B, T) ids, segment ids and mask → logits: (B, NumLabels) for a sequence head, (B, T, NumLabels) for a token head.</summary>
    public abstract Tensor forward(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask);

    /// <summary>The encoder's parameters (not the head's): what <c>FreezeEncoder</c> stops training.</summary>
    public abstract IEnumerable<TorchSharp.Modules.Parameter> EncoderParameters();

    /// <summary>Writes the model in its family's Hugging Face layout (config.json with the labels + model.safetensors).</summary>
    public abstract void SaveCheckpoint(string directory, ClassifierLabels labels);
}
