namespace MLNet.Transformers.Training.CausalLanguageModel;

/// <summary>
/// The lectures' packing for causal-LM pretraining: documents are joined into one token stream with an end-of-text token
/// after each, and the stream is cut into blocks of <c>blockSize + 1</c> tokens that overlap by one, so that with teacher
/// forcing (inputs = block[..^1], labels = block[1..]) every token of the stream is predicted exactly once.
/// </summary>
internal static class CausalLanguageModelPacker
{
    /// <summary>Packs tokenized documents into blocks of <paramref name="blockSize"/> inputs (+1 for the last label); the last block may be shorter.</summary>
    public static List<int[]> Pack(IEnumerable<int[]> documents, int endOfTextId, int blockSize)
    {
        if (blockSize < 1) throw new ArgumentOutOfRangeException(nameof(blockSize), blockSize, "The block size must be positive.");
        var stream = new List<int>();
        foreach (var doc in documents) { stream.AddRange(doc); stream.Add(endOfTextId); }
        var blocks = new List<int[]>();
        for (int start = 0; start + 1 < stream.Count; start += blockSize)
            blocks.Add(stream.GetRange(start, Math.Min(blockSize + 1, stream.Count - start)).ToArray());
        return blocks;
    }
}
