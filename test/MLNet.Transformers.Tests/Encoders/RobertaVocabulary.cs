using System.Text.Json;
using MLNet.Transformers.Tests.Models;

namespace MLNet.Transformers.Tests.Encoders;

/// <summary>
/// A RoBERTa vocabulary over the real GPT-2 vocab.json + merges.txt (the BPE RoBERTa uses) laid out as roberta-base's
/// vocab.json: &lt;s&gt;=0, &lt;pad&gt;=1, &lt;/s&gt;=2, &lt;unk&gt;=3, the GPT-2 tokens in fairseq's dictionary order from 4,
/// madeupword0000-0002 at 50261-50263, &lt;mask&gt;=50264 (50265 tokens). roberta-base's full order is not in this
/// repository; what is real here:
/// <list type="bullet">
/// <item>the 1252 most frequent tokens: their ids come from the first 1252 lines of fairseq's gpt2_bpe/dict.txt
/// (TestData/roberta-base-dict, id = line + 4, the rule HF's conversion used);</item>
/// <item><see cref="PublishedIds"/>: ids of rarer tokens that Hugging Face / fairseq publish in real roberta-base sequences.</item>
/// </list>
/// Every other GPT-2 token fills the remaining ids in GPT-2 order (a stand-in). Token strings (what BPE decides) are
/// exactly roberta-base's for every token.
/// </summary>
internal static class RobertaVocabulary
{
    /// <summary>
    /// roberta-base ids beyond the dictionary prefix, each from a published id sequence: HF's RobertaTokenizer docs
    /// ("Hello world" → 0 31414 232 2, " Hello world" → 0 20920 232 2), fairseq's RoBERTa README (encode('world') → 0 8331 2),
    /// fairseq's / HF's conversion sample "Hello world! cécé herlolip" → 0 31414 232 328 740 1140 12695 69 46078 1588 2, and
    /// HF's test_embeded_special_tokens ("A, &lt;mask&gt; AllenNLP sentence." → tokens ĠAllen N LP Ġsentence = 3823 487 21992 3645).
    /// </summary>
    public static readonly Dictionary<string, int> PublishedIds = new()
    {
        ["Hello"] = 31414, ["ĠHello"] = 20920, ["world"] = 8331, ["cÃ©"] = 12695, ["lol"] = 46078, ["ip"] = 1588,
        ["ĠAllen"] = 3823, ["LP"] = 21992, ["Ġsentence"] = 3645,
    };

    /// <summary>Lines of the dictionary prefix: (GPT-2 id, count), most frequent first.</summary>
    public static IReadOnlyList<(int Gpt2Id, long Count)> DictionaryPrefix { get; } = File.ReadLines(Path.Combine(AppContext.BaseDirectory, "TestData", "roberta-base-dict", "dict-top1252.txt"))
        .Select(l => l.Split(' ')).Select(p => (int.Parse(p[0]), long.Parse(p[1]))).ToList();

    public static byte[] Merges => File.ReadAllBytes(Path.Combine(Gpt2Fixture.Directory, "merges.txt"));

    private static readonly Lazy<Dictionary<string, int>> Vocabulary = new(Create);

    /// <summary>A copy of the vocabulary (token → id).</summary>
    public static Dictionary<string, int> Build() => new(Vocabulary.Value);

    private static Dictionary<string, int> Create()
    {
        var gpt2 = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllBytes(Path.Combine(Gpt2Fixture.Directory, "vocab.json")))!;
        var gpt2ById = gpt2.ToDictionary(kv => kv.Value, kv => kv.Key);
        var byId = new string?[50265];
        byId[0] = "<s>"; byId[1] = "<pad>"; byId[2] = "</s>"; byId[3] = "<unk>";
        byId[50261] = "madeupword0000"; byId[50262] = "madeupword0001"; byId[50263] = "madeupword0002"; byId[50264] = "<mask>";
        for (int line = 0; line < DictionaryPrefix.Count; line++) byId[line + 4] = gpt2ById[DictionaryPrefix[line].Gpt2Id];
        foreach (var (token, id) in PublishedIds)
        {
            if (byId[id] is { } placed && placed != token) throw new InvalidOperationException($"id {id}: published {token}, dictionary {placed}");
            byId[id] = token;
        }
        var placedTokens = byId.Where(t => t is not null).ToHashSet();
        var rest = new Queue<string>(gpt2.OrderBy(kv => kv.Value).Select(kv => kv.Key).Where(t => !placedTokens.Contains(t)));
        for (int id = 0; id < byId.Length; id++) byId[id] ??= rest.Dequeue();
        if (rest.Count != 0) throw new InvalidOperationException($"{rest.Count} GPT-2 tokens left over");
        return byId.Select((t, i) => (t: t!, i)).ToDictionary(p => p.t, p => p.i);
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
