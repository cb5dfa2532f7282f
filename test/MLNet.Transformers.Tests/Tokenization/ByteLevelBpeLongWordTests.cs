using System.Text;
using System.Text.Json;
using Microsoft.ML.Tokenizers;
using MLNet.Transformers.Tests.Models;
using MLNet.Transformers.Tokenization;

namespace MLNet.Transformers.Tests.Tokenization;

/// <summary>
/// Words longer than <see cref="ByteLevelBpeModel.LongWordLength"/> characters are merged whole by our heap merge
/// (<see cref="ByteLevelBpeWordMerger"/>, HF's <c>Word::merge_all</c>). The oracle is Microsoft.ML.Tokenizers' own merge of
/// the same word: HF-identical, only too slow (quadratic) to use on long words, so the words here stay at 1,001-40,000
/// characters. Ids and character spans must be equal.
/// </summary>
[TestClass]
public sealed class ByteLevelBpeLongWordTests
{
    private static readonly Dictionary<string, int> Vocabulary = JsonSerializer.Deserialize<Dictionary<string, int>>(
        File.ReadAllBytes(Path.Combine(Gpt2Fixture.Directory, "vocab.json")))!;
    private static readonly List<string> Merges = ByteLevelBpeFiles.ReadMerges(
        File.ReadAllBytes(Path.Combine(Gpt2Fixture.Directory, "merges.txt")), Vocabulary, "gpt2-tiny-random");

    [TestMethod]
    public void LongWords_HeapMergeGivesMicrosoftMlTokenizersIdsAndSpans()
    {
        var model = new ByteLevelBpeModel(Vocabulary, Merges);
        var random = new Random(8);
        var pieces = Vocabulary.Keys.Where(k => k.TrimStart('Ġ').All(char.IsAsciiLetter)).Select(k => k.Replace('Ġ', ' ')).ToArray();   // "Ġthe" is " the"
        var words = new List<string>();
        for (int i = 0; i < 40; i++) words.Add(Letters(random, random.Next(1001, 5001), "abcdefghijklmnopqrstuvwxyz"));
        for (int i = 0; i < 40; i++) words.Add(Pieces(random, random.Next(1001, 5001), pieces));            // real subwords: long merge chains
        for (int i = 0; i < 10; i++) words.Add(Letters(random, random.Next(1001, 5001), "ab"));            // equal ranks everywhere: ties
        words.Add(new string('a', 4097));
        words.Add(string.Concat(Enumerable.Repeat("ab", 1500)));
        words.Add(string.Concat(Enumerable.Repeat("naïve東京😀é ", 150)));                                  // 2-, 3-, 4-byte characters
        words.Add("x\uD800" + new string('é', 1200) + "\uDC00y");                                          // lone surrogates
        words.Add(Pieces(random, 20_000, pieces));
        words.Add(Letters(random, 40_000, "etaoinshrdlu"));

        foreach (var word in words)
        {
            var expected = model.Tokenizer.EncodeToTokens(word, out _, considerPreTokenization: false, considerNormalization: false)
                .Select(t => (t.Id, t.Offset.Start.Value, t.Offset.End.Value)).ToList();
            var actual = new List<(int, int, int)>();
            model.EncodeWord(word, actual);
            CollectionAssert.AreEqual(expected, actual, $"word of {word.Length} characters starting '{word[..20]}'");
        }
    }

    [TestMethod]
    [DataRow(null)]
    [DataRow("<unk>")]
    public void BytesMissingFromTheVocabulary_AreUnknownOrDroppedAsMicrosoftMlTokenizersDoes(string? unknownToken)
    {
        // A vocabulary without most bytes: 'x' and 'é' have no symbol, so they become <unk> (one per byte) or are dropped.
        var vocabulary = new Dictionary<string, int> { ["a"] = 0, ["b"] = 1, ["c"] = 2, ["ab"] = 3, ["bc"] = 4, ["abc"] = 5, ["ca"] = 6, ["<unk>"] = 7 };
        var model = new ByteLevelBpeModel(vocabulary, ["a b", "b c", "ab c", "c a"], unknownToken);
        var random = new Random(9);
        for (int i = 0; i < 20; i++)
        {
            string word = Letters(random, random.Next(1001, 3001), "aabbccxé");
            var expected = model.Tokenizer.EncodeToTokens(word, out _, considerPreTokenization: false, considerNormalization: false)
                .Select(t => (t.Id, t.Offset.Start.Value, t.Offset.End.Value)).ToList();
            var actual = new List<(int, int, int)>();
            model.EncodeWord(word, actual);
            CollectionAssert.AreEqual(expected, actual, word[..20]);
        }
    }

    [TestMethod]
    public void Gpt2Encode_TextWithLongWords_EqualsMicrosoftMlTokenizersWithoutAnyCut()
    {
        var gpt2 = Gpt2BpeTokenizer.FromDirectory(Gpt2Fixture.Directory);
        var special = new Dictionary<string, int> { [Gpt2BpeTokenizer.EndOfText] = gpt2.EndOfTextId };
        var oracle = BpeTokenizer.Create(new BpeOptions(Vocabulary)
        {
            Merges = Merges, ByteLevel = true, SpecialTokens = special,
            PreTokenizer = new RegexPreTokenizer(Gpt2BpeTokenizer.Gpt2Split, special),
        });
        var random = new Random(10);
        for (int i = 0; i < 10; i++)
        {
            string text = $"Hello {Letters(random, random.Next(1001, 4001), "abcdefghij")}, it's 2026!<|endoftext|> " +
                $"{Letters(random, 1500, "0123456789")}\n\n  {Letters(random, 2500, "!?.,;:-")}end";
            CollectionAssert.AreEqual(oracle.EncodeToIds(text).ToArray(), gpt2.Encode(text));
        }
    }

    private static string Letters(Random random, int length, string alphabet) =>
        new(Enumerable.Range(0, length).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray());

    private static string Pieces(Random random, int length, string[] pieces)
    {
        var text = new StringBuilder();
        while (text.Length < length) text.Append(pieces[random.Next(pieces.Length)]);
        return text.ToString(0, length);
    }
}
