using static TorchSharp.torch;

namespace MLNet.Transformers.Models;

/// <summary>What an encoder of any family returns: every token's last hidden state and, if the model has one, the pooler output.</summary>
/// <param name="LastHiddenState">(B, T, H).</param>
/// <param name="PoolerOutput">(B, H), or null for a model built without a pooler (DistilBERT, task models).</param>
public sealed record EncoderOutput(Tensor LastHiddenState, Tensor? PoolerOutput);
