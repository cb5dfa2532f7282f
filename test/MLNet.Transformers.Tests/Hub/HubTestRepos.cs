using System.Text;
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

    /// <summary>A hub serving <see cref="Id"/> with the tiny BERT at <c>main</c>.</summary>
    public static (FakeHub Hub, FakeCommit Main) Serve()
    {
        var hub = new FakeHub();
        var main = hub.AddRepo(Id).Commit(TinyBert(), "main");
        return (hub, main);
    }
}
