using Microsoft.ML.Runtime;
using MLNet.Transformers.Models;
using MLNet.Transformers.Training;
using static TorchSharp.torch;

namespace MLNet.Transformers.Estimators;

/// <summary>
/// The one <c>Fit</c> path of every training estimator: resolve the seed and seed torch with it (a fresh head or model is
/// drawn from it), open the channel, load the model, train and wrap it in the transformer. A model that fails after loading
/// (a bad setting, a training error, cancellation) is disposed with its weights before the exception propagates, so a
/// failed <c>Fit</c> leaves no native memory behind. Every estimator runs this; none repeats it.
/// </summary>
internal sealed class FitRun
{
    private FitRun(int seed, IChannel channel)
    {
        Seed = seed;
        Channel = channel;
    }

    /// <summary>The resolved seed (<see cref="TrainerOptions.Seed"/>, else the environment's).</summary>
    public int Seed { get; }

    /// <summary>The estimator's channel: progress and warnings go to the ML.NET log.</summary>
    public IChannel Channel { get; }

    /// <summary>Runs <paramref name="load"/> then <paramref name="trainAndWrap"/>; disposes the loaded model if the latter throws.</summary>
    /// <param name="env">The ML.NET environment.</param>
    /// <param name="training">The training loop's options (their seed).</param>
    /// <param name="channelName">The channel's name (the catalog method's).</param>
    /// <param name="load">Checks what needs no model, then loads it (a loader disposes a model whose weights do not load).</param>
    /// <param name="trainAndWrap">Trains (or not) and returns the transformer, which then owns the model.</param>
    public static TResult Run<TModel, TResult>(IHostEnvironment env, TrainerOptions training, string channelName,
        Func<FitRun, TModel> load, Func<TModel, FitRun, TResult> trainAndWrap) where TModel : nn.Module
    {
        int seed = training.ResolveSeed(env);
        manual_seed(seed);
        using var channel = env.Start(channelName);
        var run = new FitRun(seed, channel);
        var model = load(run);
        try { return trainAndWrap(model, run); }
        catch
        {
            model.DisposeWithWeights();
            throw;
        }
    }

    /// <summary>The shared training loop on <paramref name="model"/>, logging to the channel.</summary>
    public TrainingResult Train<TBatch>(nn.Module model, ITrainingTask<TBatch> task, TrainerOptions options, int epochs) =>
        Trainer.Run(model, task, options, epochs, Seed, message => Channel.Info(message), message => Channel.Warning(message));
}
