using MLNet.Transformers.Checkpoints;
using MLNet.Transformers.Models.Bert;
using MLNet.Transformers.Tests.Checkpoints;
using static TorchSharp.torch;

namespace MLNet.Transformers.Tests.Reliability;

/// <summary>
/// A very small BERT pretraining checkpoint in HF layout (vocab 24, hidden 8, 2 layers), written to a temporary directory:
/// cheap enough to load (or fail to load) a thousand times in a test.
/// </summary>
internal sealed class TinyBertCheckpoint : IDisposable
{
    public static readonly string[] Vocabulary =
        ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "cat", "sat", "on", "mat", "a", "dog", "ran", "hello", "world",
         "##s", "##ed", "is", "good", "bad", ".", ",", "!", "it"];

    private readonly TempDirectory _temp = new();

    public TinyBertCheckpoint(int seed = 1)
    {
        manual_seed(seed);
        using var model = new BertForPreTraining(Config, withNextSentencePrediction: true);
        BertInitializer.Initialize(model, Config);
        BertCheckpoint.Save(model, Config, Path, "BertForPreTraining");
        System.IO.File.WriteAllText(File("vocab.txt"), string.Join("\n", Vocabulary) + "\n");
    }

    public static BertConfig Config => new()
    {
        VocabSize = Vocabulary.Length, HiddenSize = 8, NumHiddenLayers = 2, NumAttentionHeads = 2, IntermediateSize = 16,
        MaxPositionEmbeddings = 16,
    };

    public string Path => _temp.Path;

    public string File(string name) => _temp.File(name);

    /// <summary>A copy of this checkpoint in a new directory, with its tensors rewritten by <paramref name="rewrite"/>.</summary>
    public string Variant(TempDirectory into, Func<Dictionary<string, Tensor>, IEnumerable<KeyValuePair<string, Tensor>>>? rewrite = null,
        Func<string, string>? editConfig = null, string? vocabulary = null)
    {
        string dir = System.IO.Path.Combine(into.Path, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        string config = System.IO.File.ReadAllText(File("config.json"));
        System.IO.File.WriteAllText(System.IO.Path.Combine(dir, "config.json"), editConfig is null ? config : editConfig(config));
        System.IO.File.WriteAllText(System.IO.Path.Combine(dir, "vocab.txt"), vocabulary ?? System.IO.File.ReadAllText(File("vocab.txt")));
        if (rewrite is null)
            System.IO.File.Copy(File("model.safetensors"), System.IO.Path.Combine(dir, "model.safetensors"));
        else
        {
            using var scope = NewDisposeScope();
            var tensors = SafeTensors.Load(File("model.safetensors"));
            SafeTensors.Save(System.IO.Path.Combine(dir, "model.safetensors"), rewrite(tensors).ToList());
        }
        return dir;
    }

    public void Dispose() => _temp.Dispose();
}
