using System.Text.Json;
using MLNet.Transformers.Tests.Models;

namespace MLNet.Transformers.Tests.Encoders;

/// <summary>
/// A RoBERTa-style vocabulary built from the real GPT-2 vocab.json + merges.txt (the merges RoBERTa uses): &lt;s&gt;=0,
/// &lt;pad&gt;=1, &lt;/s&gt;=2, &lt;unk&gt;=3, GPT-2's tokens after them, &lt;mask&gt; last — the layout of roberta-base's
/// vocab.json. roberta-base orders the GPT-2 tokens by fairseq's frequency list, which is not in this repository, so the ids
/// HF documents for roberta-base ("Hello" 31414, "ĠHello" 20920, "Ġworld" 232, "world" 8331) are swapped into place; every
/// other id is GPT-2's + 4. Token strings (what BPE decides) are exactly roberta-base's.
/// </summary>
internal static class RobertaVocabulary
{
    public static readonly Dictionary<string, int> RealIds = new() { ["Hello"] = 31414, ["ĠHello"] = 20920, ["Ġworld"] = 232, ["world"] = 8331 };

    public static byte[] Merges => File.ReadAllBytes(Path.Combine(Gpt2Fixture.Directory, "merges.txt"));

    public static Dictionary<string, int> Build()
    {
        var gpt2 = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllBytes(Path.Combine(Gpt2Fixture.Directory, "vocab.json")))!;
        var byId = new string[gpt2.Count + 5];
        byId[0] = "<s>"; byId[1] = "<pad>"; byId[2] = "</s>"; byId[3] = "<unk>"; byId[^1] = "<mask>";
        foreach (var (token, id) in gpt2) byId[id + 4] = token;
        foreach (var (token, id) in RealIds)
        {
            int current = Array.IndexOf(byId, token);
            (byId[current], byId[id]) = (byId[id], byId[current]);
        }
        return byId.Select((t, i) => (t, i)).ToDictionary(p => p.t, p => p.i);
    }

    public static byte[] Json() => JsonSerializer.SerializeToUtf8Bytes(Build());

    /// <summary>Writes vocab.json, merges.txt and tokenizer_config.json into <paramref name="directory"/>.</summary>
    public static void WriteTo(string directory, bool addPrefixSpace = false)
    {
        File.WriteAllBytes(Path.Combine(directory, "vocab.json"), Json());
        File.WriteAllBytes(Path.Combine(directory, "merges.txt"), Merges);
        File.WriteAllText(Path.Combine(directory, "tokenizer_config.json"),
            $"{{\"tokenizer_class\": \"RobertaTokenizer\", \"add_prefix_space\": {(addPrefixSpace ? "true" : "false")}}}");
    }
}
