using System.Net;

namespace MLNet.Transformers;

/// <summary>
/// Turns a Hub error answer into an exception that says what to do. The Hub names the error in <c>X-Error-Code</c>
/// (<c>RepoNotFound</c>, <c>RevisionNotFound</c>, <c>EntryNotFound</c>, <c>GatedRepo</c>) as huggingface_hub's
/// <c>hf_raise_for_status</c> reads it; without one the status decides.
/// </summary>
internal static class HubErrors
{
    public static Exception For(HttpResponseMessage response, HubOptions options, HubRepoId repo, string revision, string? file)
    {
        string? code = Header(response, "X-Error-Code");
        string? serverMessage = Header(response, "X-Error-Message");
        var status = response.StatusCode;
        string tokenHint = options.Token is null
            ? "set HF_TOKEN (or log in with `hf auth login`, which writes $HF_HOME/token) to a token that can read it"
            : "the token sent (from HF_TOKEN or $HF_HOME/token) was refused or cannot read it; set HF_TOKEN to one that can";
        if (code == "GatedRepo")
            return new InvalidOperationException($"'{repo.RepoId}' is a gated repository ({(int)status}): accept its conditions at " +
                $"{options.Endpoint}/{repo.RepoId} while logged in, then {tokenHint}.");
        if (code == "RevisionNotFound")
            return new InvalidOperationException($"Revision '{revision}' was not found in '{repo.RepoId}' on {options.Endpoint} ({(int)status}). " +
                "Give a branch, a tag or a full 40-digit commit hash of that repository (write it 'org/name@revision').");
        if (code == "EntryNotFound" || (status == HttpStatusCode.NotFound && file is not null && code is null))
            return new InvalidOperationException($"'{file}' was not found in '{repo.RepoId}' at revision '{revision}' on {options.Endpoint} (404).");
        if (code == "RepoNotFound" || status == HttpStatusCode.NotFound)
            return new InvalidOperationException($"Repository '{repo.RepoId}' was not found on {options.Endpoint} ({(int)status}). Check the id " +
                $"('org/name'); if it is private or gated, {tokenHint}.");
        if (status == HttpStatusCode.Unauthorized)
            return new InvalidOperationException($"The Hub refused access to '{repo.RepoId}' (401 Unauthorized): the repository is private or gated, " +
                $"or does not exist; {tokenHint}.");
        if (status == HttpStatusCode.Forbidden)
            return new InvalidOperationException($"The Hub refused access to '{repo.RepoId}' (403 Forbidden){Detail(serverMessage)}; {tokenHint}.");
        return new InvalidOperationException($"The Hub answered {(int)status} {response.ReasonPhrase} for {response.RequestMessage?.RequestUri}{Detail(serverMessage)}.");
    }

    private static string Detail(string? message) => message is null ? "" : $": {message}";

    public static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
}
