using MLNet.Transformers.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transformers.Tests.Training;

/// <summary>Embedding → LayerNorm → dropout → Linear: parameter names cover the decay rule (bias, LayerNorm).</summary>
internal sealed class TinyTokenModel : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // names are the state-dict keys
    private readonly Embedding embeddings;
    private readonly LayerNorm LayerNorm;
    private readonly Dropout dropout;
    private readonly Linear head;
#pragma warning restore IDE1006

    public TinyTokenModel(int vocab = 16, int hidden = 16, double dropout = 0.0, int seed = 1) : base(nameof(TinyTokenModel))
    {
        torch.manual_seed(seed);
        embeddings = nn.Embedding(vocab, hidden);
        LayerNorm = nn.LayerNorm(hidden);
        this.dropout = nn.Dropout(dropout);
        head = nn.Linear(hidden, vocab);
        RegisterComponents();
    }

    public override Tensor forward(Tensor tokens)
    {
        using var scope = NewDisposeScope();
        var h = dropout.call(LayerNorm.call(embeddings.call(tokens))); // (B, hidden)
        return head.call(h).MoveToOuterDisposeScope();                  // (B, vocab)
    }

    public Dictionary<string, float[]> Weights() =>
        named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().to(ScalarType.Float32).data<float>().ToArray());
}

/// <summary>Learn "next token = (token + 1) mod vocab" from shuffled examples; validation on all tokens.</summary>
internal sealed class NextTokenTask : ITrainingTask<long[]>
{
    private readonly TinyTokenModel _model;
    private readonly long[] _tokens;
    private readonly int _batchSize;
    private readonly int _vocab;

    public NextTokenTask(TinyTokenModel model, int examples = 64, int batchSize = 8, int vocab = 16, bool validate = true)
    {
        _model = model; _batchSize = batchSize; _vocab = vocab;
        var random = new Random(7);
        _tokens = Enumerable.Range(0, examples).Select(_ => (long)random.Next(vocab)).ToArray();
        Validate = validate;
    }

    public bool Validate { get; }

    public Func<int, double>? ScriptedValidationLoss { get; set; }

    private int _evaluations;

    public int TrainingBatchesPerEpoch => (_tokens.Length + _batchSize - 1) / _batchSize;

    public IEnumerable<long[]> TrainingBatches(int epoch, int seed)
    {
        var order = Enumerable.Range(0, _tokens.Length).ToArray();
        new Random(seed * 1000 + epoch).Shuffle(order);
        for (int start = 0; start < order.Length; start += _batchSize)
            yield return order.Skip(start).Take(_batchSize).Select(i => _tokens[i]).ToArray();
    }

    public Tensor ComputeLoss(long[] batch)
    {
        using var scope = NewDisposeScope();
        var input = torch.tensor(batch);
        var target = (input + 1) % _vocab;
        var logits = _model.call(input).to(ScalarType.Float32); // fp32 loss also under bf16
        return nn.functional.cross_entropy(logits, target).MoveToOuterDisposeScope();
    }

    public long CountTokens(long[] batch) => batch.Length;

    public ValidationResult? Evaluate()
    {
        if (!Validate) return null;
        _evaluations++;
        if (ScriptedValidationLoss is not null)
            return new ValidationResult(ScriptedValidationLoss(_evaluations), new Dictionary<string, double>());
        var all = Enumerable.Range(0, _vocab).Select(i => (long)i).ToArray();
        var loss = ComputeLoss(all);
        var accuracy = (_model.call(torch.tensor(all)).argmax(1) == (torch.tensor(all) + 1) % _vocab).to(ScalarType.Float32).mean().item<float>();
        return new ValidationResult(loss.item<float>(), new Dictionary<string, double> { ["accuracy"] = accuracy });
    }
}


/// <summary>Synchronous progress sink (System.Progress posts to the thread pool).</summary>
internal sealed class ListProgress(Action<TrainingProgress>? onReport = null) : IProgress<TrainingProgress>
{
    public List<TrainingProgress> Reports { get; } = new();

    public void Report(TrainingProgress value)
    {
        Reports.Add(value);
        onReport?.Invoke(value);
    }
}
