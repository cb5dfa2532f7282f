using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNet.Transformers.Persistence;
using MLNet.Transformers.Transforms.Infrastructure;

namespace MLNet.Transformers.Tests.Reliability;

/// <summary>
/// Issue 10, item 1: disposing a transformer while another thread is inside a forward pass must wait for it (freeing weights
/// under a running forward pass crashed the process), and later calls must throw ObjectDisposedException naming our type.
/// </summary>
[TestClass]
public sealed class DisposeWhileInUseTests
{
    /// <summary>MapBatch blocks until released, so a forward pass can be held "in flight" deterministically.</summary>
    private sealed class BlockingTransformer() : BatchedTransformerBase(batchSize: 1), ILoadableTransformer<BlockingTransformer>
    {
        public readonly ManualResetEventSlim Entered = new(), Release = new();
        public volatile bool ModelFreed;
        public int DisposeModelCalls;
        public bool FreedDuringForward;

        public override IReadOnlyList<InputColumnSpec> InputColumns { get; } = [new("Text", TextDataViewType.Instance)];
        public override IReadOnlyList<OutputColumnSpec> OutputColumns { get; } = [new("Length", NumberDataViewType.Single)];

        protected internal override void MapBatch(RowBatch batch)
        {
            Entered.Set();
            Release.Wait();
            FreedDuringForward |= ModelFreed;
            batch.SetOutput("Length", batch.GetInput<string>("Text").Select(t => (float)t.Length).ToArray());
        }

        protected override void DisposeModel()
        {
            Interlocked.Increment(ref DisposeModelCalls);
            ModelFreed = true;
        }

        protected override void SavePayload(TransformerPayloadWriter writer) { }
        public static BlockingTransformer Load(IHostEnvironment env, TransformerPayloadReader payload) => new();
    }

    private sealed class Input { public string Text { get; set; } = ""; }
    private sealed class Output { public float Length { get; set; } }

    [TestMethod]
    public void Dispose_WaitsForTheForwardPassInFlight_ThenLaterCallsThrowObjectDisposedNamingTheTransformer()
    {
        var ml = new MLContext(seed: 1);
        var transformer = new BlockingTransformer();
        var engine = ml.Model.CreatePredictionEngine<Input, Output>(transformer, new PredictionEngineOptions { OwnsTransformer = false });
        var predicting = Task.Run(() => engine.Predict(new Input { Text = "abc" }).Length);
        Assert.IsTrue(transformer.Entered.Wait(TimeSpan.FromSeconds(30)), "the forward pass did not start");

        var disposing = Task.Run(transformer.Dispose);
        Assert.IsFalse(disposing.Wait(TimeSpan.FromMilliseconds(300)), "Dispose returned while a forward pass was still running");
        Assert.IsFalse(transformer.ModelFreed, "the model was freed under a running forward pass");

        transformer.Release.Set();
        Assert.AreEqual(3f, predicting.Result, "the forward pass in flight completes normally");
        Assert.IsTrue(disposing.Wait(TimeSpan.FromSeconds(30)), "Dispose did not finish after the forward pass ended");
        Assert.IsFalse(transformer.FreedDuringForward);
        Assert.AreEqual(1, transformer.DisposeModelCalls);

        var error = Assert.ThrowsExactly<ObjectDisposedException>(() => engine.Predict(new Input { Text = "x" }));
        StringAssert.Contains(error.ObjectName, nameof(BlockingTransformer));
        var viaView = Assert.ThrowsExactly<ObjectDisposedException>(() =>
            transformer.Transform(ml.Data.LoadFromEnumerable(new[] { new Input { Text = "y" } })).GetColumn<float>("Length").ToArray());
        StringAssert.Contains(viaView.ObjectName, nameof(BlockingTransformer));

        transformer.Dispose();
        Assert.AreEqual(1, transformer.DisposeModelCalls, "a second Dispose does nothing");
    }

    [TestMethod]
    public void OwningPredictionEngine_DisposesItsTransformerOnce()
    {
        var ml = new MLContext(seed: 1);
        var transformer = new BlockingTransformer();
        transformer.Release.Set();
        using (var engine = ml.Model.CreatePredictionEngine<Input, Output>(transformer))
            Assert.AreEqual(2f, engine.Predict(new Input { Text = "ab" }).Length);
        Assert.AreEqual(1, transformer.DisposeModelCalls, "ML.NET's engine owns (and disposes) its transformer by default");
    }
}
