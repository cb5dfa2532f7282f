using System.Security.Cryptography;
using System.Text;

namespace MLNet.Transformers.Tests.Hub;

/// <summary>A repository of <see cref="FakeHub"/>: commits (hash → files) and refs (branch or tag → commit).</summary>
internal sealed class FakeRepo
{
    private readonly Dictionary<string, FakeCommit> commits = [];
    private readonly Dictionary<string, string> refs = [];

    /// <summary>Adds a commit with these files under a deterministic hash and points <paramref name="refNames"/> at it.</summary>
    public FakeCommit Commit(IReadOnlyDictionary<string, byte[]> files, params string[] refNames)
    {
        string sha = Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes($"commit {commits.Count} {string.Join(",", files.Keys)}")));
        var commit = commits[sha] = new FakeCommit(sha, files);
        foreach (var name in refNames) refs[name] = sha;
        return commit;
    }

    public FakeCommit? Find(string revision) =>
        refs.TryGetValue(revision, out var sha) ? commits[sha] : commits.GetValueOrDefault(revision);
}

internal sealed record FakeCommit(string Sha, IReadOnlyDictionary<string, byte[]> Files);
