using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transformers.Tokenization;
using MLNet.Transformers.Transforms.FineTuning;

namespace MLNet.Transformers.Training.FineTuning;

/// <summary>One training window of a token task: its words and their class indices (-1 = missing label, ignored by the loss).</summary>
internal sealed record TokenExample(string[] Words, long[] Classes);

/// <summary>Reads token-task rows (a sentence and a vector of keys, one per word) and cuts them into windows (see <see cref="WordWindows"/>).</summary>
internal static class TokenExamples
{
    public static List<TokenExample> Read(IDataView data, string sentence, string label, int classCount, IEncoderTokenizer tokenizer, int maxLength)
    {
        var textCol = TextColumns.Require(data.Schema, sentence);
        var labelCol = data.Schema.GetColumnOrNull(label) ?? throw new ArgumentOutOfRangeException(nameof(label), $"Label column '{label}' not found.");
        if (labelCol.Type is not VectorDataViewType { ItemType: KeyDataViewType { RawType: var raw } } || raw != typeof(uint))
            throw new ArgumentException($"Label column '{label}' must be a vector of UInt32 keys (one per word; use MapValueToKey), but is {labelCol.Type}.");
        var examples = new List<TokenExample>();
        using var cursor = data.GetRowCursor([textCol, labelCol]);
        var getText = cursor.GetGetter<ReadOnlyMemory<char>>(textCol);
        var getKeys = cursor.GetGetter<VBuffer<uint>>(labelCol);
        ReadOnlyMemory<char> text = default;
        VBuffer<uint> keys = default;
        for (long row = 0; cursor.MoveNext(); row++)
        {
            getText(ref text);
            getKeys(ref keys);
            var words = WordWindows.Words(TextColumns.NonEmpty(text, sentence, row));
            var classes = keys.DenseValues().Select(k => k == 0 ? -1L : k > classCount
                ? throw new InvalidOperationException($"Label column '{label}', row {row}: key {k} is outside the head's {classCount} classes.")
                : k - 1L).ToArray();
            if (classes.Length != words.Length)
                throw new InvalidOperationException($"Label column '{label}', row {row}: {classes.Length} labels for {words.Length} words " +
                    $"(column '{sentence}' split on ' '); give one label per word.");
            foreach (var window in WordWindows.Split(tokenizer, words, maxLength))
                examples.Add(new TokenExample(window.Words, classes[window.FirstWord..(window.FirstWord + window.Words.Length)]));
        }
        if (examples.Count == 0) throw new InvalidOperationException($"The training data has no rows (column '{sentence}').");
        return examples;
    }
}
