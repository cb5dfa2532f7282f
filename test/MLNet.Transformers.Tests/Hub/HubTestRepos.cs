using System.Text;
using MLNet.Transformers.Tests.Checkpoints;
using MLNet.Transformers.Tests.Models;

namespace MLNet.Transformers.Tests.Hub;

/// <summary>Repository contents the Hub tests serve, built from the tiny BERT fixture (TestData/bert-tiny-random).</summary>
internal static class HubTestRepos
{
    public const string Id = "test-org/tiny-bert";

    /// <summary>The fixture's checkpoint files, plus files a download must skip (a README, a pickle copy of the weights).</summary>
    public static Dictionary<string, byte[]> TinyBert() => new()
    {
        ["config.json"] = Fixture("config.json"),
        ["model.safetensors"] = Fixture("model.safetensors"),
        ["vocab.txt"] = Fixture("vocab.txt"),
        ["tokenizer_config.json"] = Fixture("tokenizer_config.json"),
        ["README.md"] = Encoding.UTF8.GetBytes("# tiny bert\n"),
        ["pytorch_model.bin"] = Encoding.UTF8.GetBytes("not fetched"),
    };

    public static byte[] Fixture(string name) => File.ReadAllBytes(Path.Combine(BertParityTests.FixtureDirectory, name));

    public static byte[] Text(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>Options that download from <paramref name="hub"/> into <paramref name="cache"/> (nothing from the environment).</summary>
    public static HubOptions Options(FakeHub hub, TempDirectory cache, string? token = null) =>
        new() { Endpoint = hub.Endpoint, CacheDirectory = cache.Path, Token = token };

    /// <summary>A hub serving <see cref="Id"/> with the tiny BERT at <c>main</c>.</summary>
    public static (FakeHub Hub, FakeCommit Main) Serve() => Serve(_ => { });

    /// <summary>A hub serving <see cref="Id"/> at <c>main</c> with the tiny BERT's files as <paramref name="edit"/> changes them.</summary>
    public static (FakeHub Hub, FakeCommit Main) Serve(Action<Dictionary<string, byte[]>> edit)
    {
        var files = TinyBert();
        edit(files);
        var hub = new FakeHub();
        var main = hub.AddRepo(Id).Commit(files, "main");
        return (hub, main);
    }
}
