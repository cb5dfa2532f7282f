using System.Text.Json.Nodes;
using MLNet.Transformers.Checkpoints;
using MLNet.Transformers.Models.DistilBert;
using MLNet.Transformers.Models.Gpt2;
using MLNet.Transformers.Models.Roberta;
using MLNet.Transformers.Models.T5;
using MLNet.Transformers.Tests.Checkpoints;
using MLNet.Transformers.Tests.Encoders;
using MLNet.Transformers.Tests.Models;
using MLNet.Transformers.Tests.Models.T5;
using static TorchSharp.torch;

namespace MLNet.Transformers.Tests.Reliability;

/// <summary>
/// Issue 20, "every family as safe as BERT": GPT-2, T5, RoBERTa and DistilBERT loaders refuse a hostile config.json before
/// allocating anything (memory estimate and the safetensors headers, naming the field; BERT's are in CheckpointValueTests), and a load that fails after the
/// model is allocated (the strict loader) disposes the model with its weights, so retrying leaks no tensors.
/// </summary>
[TestClass]
public sealed class FamilyLoadSafetyTests
{
    private static EncoderFixture roberta = null!, distilbert = null!;

    [ClassInitialize]
    public static void Create(TestContext _)
    {
        roberta = EncoderFineTuningTests.WithTokenizerVocabulary("roberta");
        distilbert = EncoderFineTuningTests.WithTokenizerVocabulary("distilbert");
    }

    [ClassCleanup]
    public static void Remove() { roberta.Dispose(); distilbert.Dispose(); }

    private static string Gpt2 => Gpt2Fixture.Directory;

    private static (string Directory, Func<string, IDisposable> Load) Family(string family) => family switch
    {
        "gpt2" => (Gpt2, d => Gpt2Checkpoint.Load(d)),
        "t5" => (T5, d => T5Checkpoint.Load(d)),
        "roberta" => (EncoderFineTuningTests.Folder(roberta, "Pretrained"), d => RobertaCheckpoint.LoadEncoder(d, withPooler: false)),
        _ => (EncoderFineTuningTests.Folder(distilbert, "Pretrained"), d => DistilBertCheckpoint.LoadEncoder(d)),
    };
    private static string T5 => T5Fixture.Directory;

    // A copy of a checkpoint folder with config.json's field set, and/or its weights rewritten.
    private static string Variant(TempDirectory temp, string source, string? field = null, long value = 0, Func<string, bool>? dropKey = null)
    {
        string dir = Path.Combine(temp.Path, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        foreach (var file in Directory.GetFiles(source)) File.Copy(file, Path.Combine(dir, Path.GetFileName(file)));
        if (field is not null)
        {
            var config = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "config.json")))!.AsObject();
            config[field] = value;
            File.WriteAllText(Path.Combine(dir, "config.json"), config.ToJsonString());
        }
        if (dropKey is not null)
        {
            using var scope = NewDisposeScope();
            var tensors = SafeTensors.Load(Path.Combine(source, "model.safetensors"));
            Assert.IsTrue(tensors.Keys.Any(dropKey), "the key to drop exists");
            SafeTensors.Save(Path.Combine(dir, "model.safetensors"), tensors.Where(kv => !dropKey(kv.Key)).ToList());
        }
        return dir;
    }

    [TestMethod]
    [DataRow("gpt2", "n_embd", 1_000_000L)]            // memory: 50,257 × 10^6 parameters
    [DataRow("gpt2", "vocab_size", 100_000_000L)]
    [DataRow("gpt2", "n_layer", 100_000L)]             // fits in memory at n_embd 32, but the file holds 2 blocks
    [DataRow("gpt2", "n_positions", 1_000_000L)]
    [DataRow("gpt2", "n_inner", 40L)]
    [DataRow("t5", "d_model", 1_000_000L)]
    [DataRow("t5", "num_layers", 100_000L)]
    [DataRow("t5", "num_decoder_layers", 3L)]
    [DataRow("t5", "d_ff", 100_000L)]
    [DataRow("t5", "vocab_size", 32_000L)]
    [DataRow("roberta", "hidden_size", 1_000_000L)]
    [DataRow("roberta", "num_hidden_layers", 100_000L)]
    [DataRow("roberta", "intermediate_size", 100_000L)]
    [DataRow("roberta", "max_position_embeddings", 1_000_000L)]
    [DataRow("distilbert", "dim", 1_000_000L)]
    [DataRow("distilbert", "n_layers", 100_000L)]
    [DataRow("distilbert", "hidden_dim", 100_000L)]
    [DataRow("distilbert", "vocab_size", 100_000_000L)]
    public void HostileConfig_IsRefusedNamingTheField_BeforeAnyTensorIsAllocated(string family, string field, long value)
    {
        using var temp = new TempDirectory();
        var (source, load) = Family(family);
        string dir = Variant(temp, source, field, value);
        GC.Collect(); GC.WaitForPendingFinalizers();      // earlier tests' garbage: finalizers may only lower the count below
        long before = Tensor.TotalCount;
        var e = Assert.Throws<Exception>(() => load(dir).Dispose());
        Assert.IsTrue(e is CheckpointFormatException or ArgumentException, e.ToString());   // the header check, or the config's own bounds
        Assert.IsLessThanOrEqualTo(before, Tensor.TotalCount, "tensors allocated before the refusal");
        StringAssert.Contains(e.Message, "config.json");
        Assert.IsTrue(e.Message.Contains($"'{field}'") || e.Message.Contains($"{field} {value}"), e.Message);
    }

    [TestMethod]
    public void FailedLoads_LeaveNoLiveTensors_Gpt2T5RobertaDistilBert()
    {
        using var temp = new TempDirectory();
        var robertaDir = EncoderFineTuningTests.Folder(roberta, "Pretrained");
        var distilDir = EncoderFineTuningTests.Folder(distilbert, "Pretrained");
        var families = new (string Name, string Good, string Bad, Func<string, IDisposable> Load)[]
        {
            ("gpt2", Gpt2, Variant(temp, Gpt2, dropKey: k => k.EndsWith("h.1.mlp.c_proj.bias")), d => Gpt2Checkpoint.Load(d)),
            ("t5", T5, Variant(temp, T5, dropKey: k => k.EndsWith("decoder.block.1.layer.2.DenseReluDense.wo.weight")), d => T5Checkpoint.Load(d)),
            ("roberta", robertaDir, Variant(temp, robertaDir, dropKey: k => k.EndsWith("layer.1.output.dense.bias")), d => RobertaCheckpoint.LoadEncoder(d, withPooler: false)),
            ("distilbert", distilDir, Variant(temp, distilDir, dropKey: k => k.EndsWith("layer.1.ffn.lin2.bias")), d => DistilBertCheckpoint.LoadEncoder(d)),
        };
        foreach (var (name, good, bad, load) in families)
        {
            Assert.ThrowsExactly<InvalidOperationException>(() => load(bad).Dispose(), $"{name}: the damaged checkpoint fails");   // warm up
            GC.Collect(); GC.WaitForPendingFinalizers();
            long before = Tensor.TotalCount;
            for (int i = 0; i < 20; i++)
                Assert.ThrowsExactly<InvalidOperationException>(() => load(bad).Dispose());
            long leaked = Tensor.TotalCount - before;
            // TorchSharp's accounting keeps a few tensor objects counted after a model is built and disposed (as in
            // FailedLoadLeakTests); a failed load may leave what a successful load + dispose leaves, not its parameters.
            long start = Tensor.TotalCount;
            for (int i = 0; i < 20; i++)
            {
                var model = (TorchSharp.torch.nn.Module)load(good);
                foreach (var (_, p) in model.named_parameters()) p.Dispose();
                foreach (var (_, b) in model.named_buffers()) b.Dispose();
                model.Dispose();
            }
            long residue = Tensor.TotalCount - start;
            Console.WriteLine($"{name}: 20 failed loads left {leaked} tensors; 20 loads + dispose left {residue}");
            Assert.IsLessThanOrEqualTo(residue, leaked, $"{name}: 20 failed loads left {leaked} live tensors, 20 successful loads + dispose {residue}");
        }
    }
}
