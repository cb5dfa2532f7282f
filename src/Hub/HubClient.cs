using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace MLNet.Transformers;

/// <summary>
/// The Hub's HTTP surface this library uses, as huggingface_hub calls it: the revision API (commit + file list), a HEAD per
/// file for its metadata (redirects not followed, except relative ones, so an LFS file's 302 and its X-Linked-* headers are
/// seen) and a GET of the bytes, resumed with a Range header. The token is sent as <c>Authorization: Bearer</c> to the
/// endpoint only, never to another host a file redirects to.
/// </summary>
internal sealed class HubClient(HubOptions options, HubRepoId repo)
{
    // Metadata requests see redirects themselves; content requests follow them (HttpClient drops Authorization on a redirect).
    private static readonly HttpClient Metadata = new(new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(1) })
    { Timeout = TimeSpan.FromSeconds(30) };
    private static readonly HttpClient Content = new(new SocketsHttpHandler
    { AllowAutoRedirect = true, MaxAutomaticRedirections = 5, AutomaticDecompression = DecompressionMethods.None, PooledConnectionLifetime = TimeSpan.FromMinutes(1) })
    { Timeout = Timeout.InfiniteTimeSpan };

    private const int MaxRelativeRedirects = 5;

    /// <summary>The commit <paramref name="revision"/> resolves to and the repository's files at it.</summary>
    public HubRevisionInfo GetRevision(string revision, CancellationToken ct)
    {
        var url = new Uri($"{options.Endpoint}/api/models/{repo.RepoId}/revision/{Uri.EscapeDataString(revision)}");
        using var response = SendFollowingRelative(HttpMethod.Get, url, ct);
        if (!response.IsSuccessStatusCode) throw HubErrors.For(response, options, repo, revision, file: null);
        using var json = JsonDocument.Parse(response.Content.ReadAsStream(ct));
        var root = json.RootElement;
        string commit = root.TryGetProperty("sha", out var sha) && sha.GetString() is { Length: > 0 } s ? s
            : throw new InvalidOperationException($"{url} answered without a 'sha': is {options.Endpoint} (HF_ENDPOINT) a Hugging Face Hub?");
        var files = root.TryGetProperty("siblings", out var siblings) && siblings.ValueKind == JsonValueKind.Array
            ? siblings.EnumerateArray().Select(f => f.GetProperty("rfilename").GetString()!).ToList()
            : [];
        return new HubRevisionInfo(commit, files);
    }

    /// <summary>The file's commit, ETag, size and download location, from a HEAD of its resolve URL.</summary>
    public HubFileMetadata Head(string revision, string file, CancellationToken ct)
    {
        var url = ResolveUrl(revision, file);
        using var response = SendFollowingRelative(HttpMethod.Head, url, ct);
        bool redirect = (int)response.StatusCode is >= 300 and < 400;
        if (!response.IsSuccessStatusCode && !redirect) throw HubErrors.For(response, options, repo, revision, file);
        string? commit = HubErrors.Header(response, "X-Repo-Commit");
        string? etag = Normalize(HubErrors.Header(response, "X-Linked-Etag") ?? HubErrors.Header(response, "ETag"));
        if (commit is null || etag is null)
            throw new InvalidOperationException($"HEAD {url} answered without {(commit is null ? "X-Repo-Commit" : "an ETag")}: is {options.Endpoint} (HF_ENDPOINT) " +
                "a Hugging Face Hub, and does no proxy strip these headers?");
        long? size = long.TryParse(HubErrors.Header(response, "X-Linked-Size"), out var linked) ? linked : response.Content.Headers.ContentLength;
        var location = redirect && response.Headers.Location is { } target ? (target.IsAbsoluteUri ? target : new Uri(url, target)) : url;
        return new HubFileMetadata(commit, etag, size, location);
    }

    /// <summary>GETs the bytes from <paramref name="offset"/> on (a Range request when resuming); the caller reads and disposes the response.</summary>
    public HttpResponseMessage GetContent(Uri location, long offset, CancellationToken ct)
    {
        using var request = Request(HttpMethod.Get, location);
        if (offset > 0) request.Headers.Range = new RangeHeaderValue(offset, null);
        return Content.Send(request, HttpCompletionOption.ResponseHeadersRead, ct);
    }

    public Uri ResolveUrl(string revision, string file) =>
        new($"{options.Endpoint}/{repo.RepoId}/resolve/{Uri.EscapeDataString(revision)}/{string.Join('/', file.Split('/').Select(Uri.EscapeDataString))}");

    // As huggingface_hub's _request_wrapper(follow_relative_redirects=True): a renamed repository answers with a relative
    // Location, which is followed; an absolute one (the CDN of an LFS file) is left to the caller.
    private HttpResponseMessage SendFollowingRelative(HttpMethod method, Uri url, CancellationToken ct)
    {
        for (int hop = 0; ; hop++)
        {
            using var request = Request(method, url);
            var response = Metadata.Send(request, HttpCompletionOption.ResponseHeadersRead, ct);
            bool relative = (int)response.StatusCode is >= 300 and < 400 && response.Headers.Location is { IsAbsoluteUri: false } target;
            if (!relative || hop == MaxRelativeRedirects) return response;
            url = new Uri(url, response.Headers.Location!);
            response.Dispose();
        }
    }

    private HttpRequestMessage Request(HttpMethod method, Uri url)
    {
        var request = new HttpRequestMessage(method, url);
        request.Headers.UserAgent.ParseAdd("mlnet-transformers/0.1");
        request.Headers.AcceptEncoding.ParseAdd("identity");   // sizes and hashes are of the bytes as stored
        if (options.Token is not null && SameHost(url, new Uri(options.Endpoint)))
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.Token);
        return request;
    }

    private static bool SameHost(Uri a, Uri b) => string.Equals(a.Authority, b.Authority, StringComparison.OrdinalIgnoreCase) && a.Scheme == b.Scheme;

    // An ETag may come weak (W/"...") and is always quoted; the cache names blobs by the bare value, as huggingface_hub does.
    private static string? Normalize(string? etag) => etag is null ? null : etag.StartsWith("W/", StringComparison.Ordinal) ? etag[2..].Trim('"') : etag.Trim('"');
}
