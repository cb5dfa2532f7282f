namespace MLNet.Transformers.Tokenization;

/// <summary>
/// Byte-level BPE of one pre-token of any length in O(n log n), with the semantics of Hugging Face's <c>tokenizers</c>
/// (<c>models/bpe/word.rs</c>, <c>Word::merge_all</c> without dropout): the word's byte symbols in a doubly-linked list, a
/// min-heap of (merge rank, position) over adjacent pairs; the lowest rank is merged first, ties go to the leftmost pair;
/// an entry whose pair has changed since it was pushed is skipped; each merge pushes the pairs it forms with its neighbours.
/// Why our own: Microsoft.ML.Tokenizers runs the same heap but then removes the merged-away symbols one by one from an
/// array (quadratic: a 1 MB word took about two minutes), so words longer than
/// <see cref="ByteLevelBpeModel.LongWordLength"/> characters come here and get the same ids, whole, as HF.
/// </summary>
internal sealed class ByteLevelBpeWordMerger
{
    private static readonly char[] ByteToChar = ByteLevelBpeTrainer.ByteToChar();

    private readonly Dictionary<long, (int Rank, int Id)> merges = [];   // (left id, right id) → rank and merged id
    private readonly int[] byteIds = new int[256];                        // vocabulary id of each byte's symbol, -1 if absent
    private readonly int? unknownId;

    /// <summary>Merge table of <paramref name="merges"/> ("left right" lines, rank = index) over <paramref name="vocabulary"/>, already checked by <see cref="ByteLevelBpeFiles"/>.</summary>
    public ByteLevelBpeWordMerger(IReadOnlyDictionary<string, int> vocabulary, IReadOnlyList<string> merges, int? unknownId)
    {
        for (int rank = 0; rank < merges.Count; rank++)
        {
            int space = merges[rank].IndexOf(' ');
            string left = merges[rank][..space], right = merges[rank][(space + 1)..];
            this.merges[Key(vocabulary[left], vocabulary[right])] = (rank, vocabulary[left + right]);   // HF's map: a repeated pair's later rank
        }
        for (int b = 0; b < 256; b++) byteIds[b] = vocabulary.TryGetValue(ByteToChar[b].ToString(), out int id) ? id : -1;
        this.unknownId = unknownId;
    }

    /// <summary>Appends the tokens of <paramref name="word"/> to <paramref name="tokens"/>: id and character span within the word.</summary>
    public void Encode(ReadOnlySpan<char> word, List<(int Id, int Start, int End)> tokens)
    {
        var (bytes, charOfByte) = Utf8(word);
        var symbols = new Symbols(bytes.Length);
        foreach (byte b in bytes)
        {
            int id = byteIds[b];
            if (id >= 0) symbols.Add(id);
            else if (unknownId is int unk) symbols.Add(unk);   // HF without fuse_unk: one <unk> per missing byte symbol
            else symbols.Add(-1);                                  // HF without an unknown token: the byte is dropped
        }
        MergeAll(symbols);

        // Spans as HF's offsets: cumulative byte lengths of the kept symbols, then mapped back to the characters they came from.
        int position = 0;
        for (int i = 0; i < symbols.Count; i++)
        {
            if (symbols.Length[i] == 0) continue;
            int end = position + symbols.Length[i];
            tokens.Add((symbols.Id[i], charOfByte[position], charOfByte[end - 1] + 1));
            position = end;
        }
    }

    private void MergeAll(Symbols s)
    {
        var queue = new PriorityQueue<int, long>(s.Count);                  // element: merged id; priority: rank, then position
        for (int i = 0; i + 1 < s.Count; i++) Push(queue, s, i, i + 1);
        while (queue.TryDequeue(out int mergedId, out long priority))
        {
            int at = (int)(priority & uint.MaxValue);
            int right = s.Next[at];
            if (s.Length[at] == 0 || right < 0) continue;                  // merged away, or now the last symbol
            if (!merges.TryGetValue(Key(s.Id[at], s.Id[right]), out var merge) || merge.Id != mergedId) continue;   // stale entry
            s.Id[at] = mergedId;
            s.Length[at] += s.Length[right];
            s.Length[right] = 0;
            s.Next[at] = s.Next[right];
            if (s.Next[at] >= 0) s.Previous[s.Next[at]] = at;
            if (s.Previous[at] >= 0) Push(queue, s, s.Previous[at], at);
            if (s.Next[at] >= 0) Push(queue, s, at, s.Next[at]);
        }
    }

    private void Push(PriorityQueue<int, long> queue, Symbols s, int left, int right)
    {
        if (merges.TryGetValue(Key(s.Id[left], s.Id[right]), out var merge))
            queue.Enqueue(merge.Id, ((long)merge.Rank << 32) | (uint)left);
    }

    private static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    // The word's UTF-8 bytes and, for each, the index of the character it came from, as Microsoft.ML.Tokenizers maps them
    // (all four bytes of a surrogate pair point at its high surrogate; a lone surrogate is encoded as its 3-byte code unit).
    private static (byte[] Bytes, int[] CharOfByte) Utf8(ReadOnlySpan<char> word)
    {
        var bytes = new List<byte>(word.Length);
        var charOfByte = new List<int>(word.Length);
        void Add(int charIndex, params ReadOnlySpan<int> values) { foreach (int v in values) { bytes.Add((byte)v); charOfByte.Add(charIndex); } }
        for (int i = 0; i < word.Length; i++)
        {
            int c = word[i];
            if (c <= 0x7F) Add(i, c);
            else if (c <= 0x7FF) Add(i, 0xC0 | c >> 6, 0x80 | c & 0x3F);
            else if (char.IsHighSurrogate(word[i]) && i + 1 < word.Length && char.IsLowSurrogate(word[i + 1]))
            {
                int v = char.ConvertToUtf32(word[i], word[i + 1]);
                Add(i, 0xF0 | v >> 18, 0x80 | (v >> 12) & 0x3F, 0x80 | (v >> 6) & 0x3F, 0x80 | v & 0x3F);
                i++;
            }
            else Add(i, 0xE0 | c >> 12, 0x80 | (c >> 6) & 0x3F, 0x80 | c & 0x3F);
        }
        return (bytes.ToArray(), charOfByte.ToArray());
    }

    /// <summary>The word's symbols as parallel arrays: a doubly-linked list in which a merge keeps the left symbol and empties the right.</summary>
    private sealed class Symbols(int capacity)
    {
        public readonly int[] Id = new int[capacity], Previous = new int[capacity], Next = new int[capacity], Length = new int[capacity];
        public int Count;

        /// <summary>Appends a one-byte symbol; a dropped byte (<paramref name="id"/> -1) takes no place in the list.</summary>
        public void Add(int id)
        {
            if (id < 0) return;
            int last = Count - 1;
            Id[Count] = id; Length[Count] = 1; Previous[Count] = last; Next[Count] = -1;
            if (last >= 0) Next[last] = Count;
            Count++;
        }
    }
}
