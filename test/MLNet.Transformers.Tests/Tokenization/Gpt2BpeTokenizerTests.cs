using MLNet.Transformers.Tests.Models;
using MLNet.Transformers.Tokenization;

namespace MLNet.Transformers.Tests.Tokenization;

/// <summary>
/// The real GPT-2 vocabulary through Microsoft.ML.Tokenizers. Expected ids were hand-checked against vocab.json (and agree with
/// HF's GPT2TokenizerFast): the token strings are shown next to each id.
/// </summary>
[TestClass]
public sealed class Gpt2BpeTokenizerTests
{
    private static readonly Gpt2BpeTokenizer Tokenizer = Gpt2BpeTokenizer.FromDirectory(Gpt2Fixture.Directory);

    [TestMethod]
    [DataRow("Hello world", new[] { 15496, 995 })]                        // Hello, Ġworld
    [DataRow("Hello\n\nworld", new[] { 15496, 198, 198, 6894 })]        // Hello, Ċ, Ċ, world: the regex leaves the last newline alone
    [DataRow("end.\n\n", new[] { 437, 13, 628 })]                        // end, ., ĊĊ: at the end the run stays whole
    [DataRow("a  b", new[] { 64, 220, 275 })]                            // a, Ġ, Ġb: a run of spaces leaves its last for the word
    [DataRow("a naïve 東京 😀", new[] { 64, 41492, 10545, 251, 109, 12859, 105, 30325, 222 })] // a, ĠnaÃ¯ve, Ġæ, Ŀ, ±, äº, ¬, ĠðŁĺ, Ģ
    [DataRow("<|endoftext|>", new[] { 50256 })]
    public void Encode_GivesHuggingFaceIds(string text, int[] expected) =>
        CollectionAssert.AreEqual(expected, Tokenizer.Encode(text), string.Join(",", Tokenizer.Encode(text)));

    [TestMethod]
    public void Vocabulary_StringsAreTheByteLevelTokens()
    {
        Assert.AreEqual("Ġworld", Tokenizer.IdToToken(995));
        Assert.AreEqual("ĊĊ", Tokenizer.IdToToken(628));
        Assert.AreEqual(50257, Tokenizer.VocabularySize);
        Assert.AreEqual(50256, Tokenizer.EndOfTextId);
    }

    [TestMethod]
    [DataRow("Café naïve 東京, it's   spaced out!")]
    [DataRow("Emoji 😀👍🏽 and tabs\tand\r\nCRLF lines\n\n  indented")]
    [DataRow("Ünïcödé — “quotes” … ½ ∑ 𝔘")]
    public void Decode_RestoresTheText(string text) => Assert.AreEqual(text, Tokenizer.Decode(Tokenizer.Encode(text)));
}
