using System.Text;
using MLNet.Transformers.Tests.Models;
using MLNet.Transformers.Tokenization;

namespace MLNet.Transformers.Tests.Tokenization;

/// <summary>How merges.txt is read where HF's <c>tokenizers</c> and Microsoft.ML.Tokenizers would differ.</summary>
[TestClass]
public sealed class ByteLevelBpeFilesTests
{
    [TestMethod]
    public void PairWrittenTwiceInMergesTxt_TakesItsLaterRank_AsHuggingFace()
    {
        var vocabulary = File.ReadAllBytes(Path.Combine(Gpt2Fixture.Directory, "vocab.json"));
        var lines = File.ReadAllLines(Path.Combine(Gpt2Fixture.Directory, "merges.txt")).ToList();
        Assert.AreEqual("Ġ t", lines[1], "GPT-2's first merge");
        var repeated = lines.Append("Ġ t");                                  // the first merge again, now last
        var moved = lines.Where((_, i) => i != 1).Append("Ġ t");               // what HF makes of it: only the later rank counts
        Gpt2BpeTokenizer Load(IEnumerable<string> merges) =>
            Gpt2BpeTokenizer.FromContents(vocabulary, Encoding.UTF8.GetBytes(string.Join("\n", merges) + "\n"));

        string text = "the cat sat on the mat, that's it; other texts";
        var ids = Load(repeated).Encode(text);
        CollectionAssert.AreEqual(Load(moved).Encode(text), ids);
        CollectionAssert.AreNotEqual(Load(lines).Encode(text), ids, "moving 'Ġ t' to the last rank changes how ' the' is merged");
    }
}
