using System.Text.RegularExpressions;

namespace MLNet.Transformers;

/// <summary>
/// A model repository on the Hub, <c>org/name</c>, with an optional revision written <c>org/name@revision</c> (a branch, a
/// tag or a commit). The name rules are huggingface_hub's <c>validate_repo_id</c>: word characters, '-' and '.', no '--' or
/// '..', at most 96 characters. Only namespaced ids are taken, so a bare word is never mistaken for one.
/// </summary>
internal readonly partial record struct HubRepoId(string RepoId, string? Revision)
{
    [GeneratedRegex(@"^[A-Za-z0-9](?:[A-Za-z0-9_.\-]*[A-Za-z0-9])?/[A-Za-z0-9](?:[A-Za-z0-9_.\-]*[A-Za-z0-9])?$")]
    private static partial Regex RepoPattern();

    /// <summary>The cache folder's name, <c>models--org--name</c>, as huggingface_hub's <c>repo_folder_name</c>.</summary>
    public string FolderName => "models--" + RepoId.Replace("/", "--", StringComparison.Ordinal);

    /// <summary>True for a plain repo id such as <c>sentence-transformers/all-MiniLM-L6-v2</c>.</summary>
    public static bool IsRepoId(string text) =>
        text.Length <= 96 && RepoPattern().IsMatch(text) && !text.Contains("--", StringComparison.Ordinal) && !text.Contains("..", StringComparison.Ordinal);

    /// <summary>Parses <c>org/name</c> or <c>org/name@revision</c>; false for anything else (a path, a bare word).</summary>
    public static bool TryParse(string text, out HubRepoId id)
    {
        id = default;
        int at = text.IndexOf('@', StringComparison.Ordinal);
        string repo = at < 0 ? text : text[..at];
        string? revision = at < 0 ? null : text[(at + 1)..];
        if (!IsRepoId(repo) || revision is { Length: 0 } || revision?.Any(char.IsWhiteSpace) == true) return false;
        id = new HubRepoId(repo, revision);
        return true;
    }

    /// <summary>True for a full 40-hex-digit commit hash (huggingface_hub's REGEX_COMMIT_HASH).</summary>
    public static bool IsCommitHash(string revision) => CommitPattern().IsMatch(revision);

    [GeneratedRegex("^[0-9a-f]{40}$")]
    private static partial Regex CommitPattern();
}
