using Microsoft.ML.Runtime;
using MLNet.Transformers.Transforms.Infrastructure;

namespace MLNet.Transformers.Persistence;

/// <summary>
/// Implemented by every concrete <see cref="BatchedTransformerBase"/> so <c>mlContext.Model.Load</c> can recreate it:
/// <see cref="Load"/> is the dual of <c>SavePayload</c>. No ML.NET internals are needed to implement it.
/// </summary>
/// <typeparam name="TSelf">The implementing transformer type itself.</typeparam>
public interface ILoadableTransformer<TSelf> where TSelf : BatchedTransformerBase, ILoadableTransformer<TSelf>
{
    /// <summary>Recreates the transformer from what its <c>SavePayload</c> wrote.</summary>
    /// <param name="env">The environment (an <c>MLContext</c>) that is loading the model.</param>
    /// <param name="payload">The saved payload items.</param>
    static abstract TSelf Load(IHostEnvironment env, TransformerPayloadReader payload);
}
