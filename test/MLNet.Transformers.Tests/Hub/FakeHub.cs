using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace MLNet.Transformers.Tests.Hub;

/// <summary>
/// A loopback HTTP server (127.0.0.1, an ephemeral port) that answers like the Hugging Face Hub: the revision API, HEAD/GET
/// of <c>/{id}/resolve/{rev}/{file}</c> with X-Repo-Commit, ETag, X-Linked-Etag and X-Linked-Size, a 302 to <c>/blobs/{sha256}</c>
/// for LFS files (*.safetensors, *.bin), Range requests, and the X-Error-Code answers. It records every request.
/// </summary>
internal sealed class FakeHub : IDisposable
{
    private readonly HttpListener listener = new();
    private readonly Dictionary<string, FakeRepo> repos = [];
    private readonly Dictionary<string, byte[]> blobs = [];   // sha256 → bytes of the LFS files resolved so far
    private readonly Task loop;

    public FakeHub()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Endpoint = $"http://127.0.0.1:{port}";
        listener.Prefixes.Add(Endpoint + "/");
        listener.Start();
        loop = Task.Run(Serve);
    }

    public string Endpoint { get; }

    /// <summary>"METHOD path" of every request, with " range=bytes=N-" when it had a Range header.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>The Authorization header of every request (null when absent).</summary>
    public ConcurrentQueue<string?> Authorizations { get; } = new();

    /// <summary>When set, every request without <c>Authorization: Bearer {token}</c> gets 401.</summary>
    public string? RequiredToken { get; set; }

    /// <summary>When set, LFS blobs are served with their first byte changed (same length, wrong sha256).</summary>
    public bool CorruptBlobs { get; set; }

    /// <summary>When set, a blob GET sends this many bytes and then drops the connection.</summary>
    public int? CutBlobsAfter { get; set; }

    /// <summary>Old id → new id of renamed repositories: requests for the old id get a 307 with a relative Location, as the Hub answers.</summary>
    public Dictionary<string, string> Renamed { get; } = [];

    /// <summary>Repositories that answer 403 GatedRepo to every request (their conditions not accepted).</summary>
    public HashSet<string> Gated { get; } = [];

    /// <summary>When set, a blob GET waits until this many HEADs of its file have arrived (to make two downloads overlap).</summary>
    public int HoldBlobUntilHeads { get; set; }

    public FakeRepo AddRepo(string repoId) => repos[repoId] = new FakeRepo();

    public int Count(string prefix) => Requests.Count(r => r.StartsWith(prefix, StringComparison.Ordinal));

    public static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    public static string GitSha1(byte[] bytes) =>
        Convert.ToHexStringLower(SHA1.HashData([.. Encoding.ASCII.GetBytes($"blob {bytes.Length}\0"), .. bytes]));

    public static bool IsLfs(string file) => file.EndsWith(".safetensors", StringComparison.Ordinal) || file.EndsWith(".bin", StringComparison.Ordinal);

    private async Task Serve()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            _ = Task.Run(() => Handle(context));
        }
    }

    private void Handle(HttpListenerContext context)
    {
        var request = context.Request;
        var response = context.Response;
        try
        {
            string path = request.Url!.AbsolutePath;
            string? range = request.Headers["Range"];
            Requests.Enqueue($"{request.HttpMethod} {path}{(range is null ? "" : " range=" + range)}");
            Authorizations.Enqueue(request.Headers["Authorization"]);
            if (RequiredToken is not null && request.Headers["Authorization"] != "Bearer " + RequiredToken) { Error(response, 401, null); return; }
            if (Renamed.FirstOrDefault(r => path.Contains($"/{r.Key}/", StringComparison.Ordinal)) is { Key: not null } renamed)
            {
                response.StatusCode = 307;
                response.Headers["Location"] = path.Replace($"/{renamed.Key}/", $"/{renamed.Value}/", StringComparison.Ordinal);
                return;
            }
            if (Gated.Any(id => path.Contains($"/{id}/", StringComparison.Ordinal))) { Error(response, 403, "GatedRepo"); return; }
            if (path.StartsWith("/api/models/", StringComparison.Ordinal)) RevisionApi(response, path["/api/models/".Length..]);
            else if (path.StartsWith("/blobs/", StringComparison.Ordinal)) Blob(request, response, path["/blobs/".Length..]);
            else Resolve(request, response, path.TrimStart('/'));
        }
        catch (Exception e) when (e is HttpListenerException or IOException) { }
        finally
        {
            try { response.Close(); } catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or IOException) { }
        }
    }

    // /api/models/{org}/{name}/revision/{rev}
    private void RevisionApi(HttpListenerResponse response, string rest)
    {
        var parts = rest.Split('/', 4);
        if (parts.Length < 4 || parts[2] != "revision") { Error(response, 404, null); return; }
        if (!repos.TryGetValue(parts[0] + "/" + parts[1], out var repo)) { Error(response, 404, "RepoNotFound"); return; }
        if (repo.Find(Uri.UnescapeDataString(parts[3])) is not { } commit) { Error(response, 404, "RevisionNotFound"); return; }
        var body = JsonSerializer.SerializeToUtf8Bytes(new
        {
            id = parts[0] + "/" + parts[1], sha = commit.Sha,
            siblings = commit.Files.Keys.Select(f => new { rfilename = f }),
        });
        response.ContentType = "application/json";
        response.OutputStream.Write(body);
    }

    // /{org}/{name}/resolve/{rev}/{file...}
    private void Resolve(HttpListenerRequest request, HttpListenerResponse response, string rest)
    {
        var parts = rest.Split('/', 5);
        if (parts.Length < 5 || parts[2] != "resolve") { Error(response, 404, null); return; }
        if (!repos.TryGetValue(parts[0] + "/" + parts[1], out var repo)) { Error(response, 404, "RepoNotFound"); return; }
        if (repo.Find(Uri.UnescapeDataString(parts[3])) is not { } commit) { Error(response, 404, "RevisionNotFound"); return; }
        string file = string.Join('/', parts[4].Split('/').Select(Uri.UnescapeDataString));
        if (!commit.Files.TryGetValue(file, out var bytes)) { Error(response, 404, "EntryNotFound"); return; }
        response.Headers["X-Repo-Commit"] = commit.Sha;
        if (IsLfs(file))
        {
            string sha = Sha256(bytes);
            lock (blobs) blobs[sha] = bytes;
            response.Headers["X-Linked-Etag"] = $"\"{sha}\"";
            response.Headers["X-Linked-Size"] = bytes.Length.ToString();
            response.Headers["ETag"] = $"\"{GitSha1(Encoding.ASCII.GetBytes(sha))}\"";   // the pointer file's, which the client must not use
            response.StatusCode = 302;
            response.RedirectLocation = $"{Endpoint}/blobs/{sha}";
            return;
        }
        response.Headers["ETag"] = $"\"{GitSha1(bytes)}\"";
        Body(request, response, bytes);
    }

    private void Blob(HttpListenerRequest request, HttpListenerResponse response, string sha)
    {
        byte[]? bytes;
        lock (blobs) blobs.TryGetValue(sha, out bytes);
        if (bytes is null) { Error(response, 404, null); return; }
        if (HoldBlobUntilHeads > 0)
            SpinWait.SpinUntil(() => Requests.Count(r => r.StartsWith("HEAD ", StringComparison.Ordinal) && r.EndsWith(".safetensors", StringComparison.Ordinal)) >= HoldBlobUntilHeads,
                TimeSpan.FromSeconds(20));
        if (CorruptBlobs) { bytes = [.. bytes]; bytes[0] ^= 0xFF; }
        if (CutBlobsAfter is int cut)
        {
            response.ContentLength64 = bytes.Length;
            response.OutputStream.Write(bytes, 0, cut);
            response.OutputStream.Flush();
            response.Abort();
            return;
        }
        Body(request, response, bytes);
    }

    private static void Body(HttpListenerRequest request, HttpListenerResponse response, byte[] bytes)
    {
        long from = 0;
        if (request.Headers["Range"] is { } range && range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-'))
        {
            from = long.Parse(range["bytes=".Length..^1]);
            response.StatusCode = 206;
            response.Headers["Content-Range"] = $"bytes {from}-{bytes.Length - 1}/{bytes.Length}";
        }
        response.ContentLength64 = bytes.Length - from;
        if (request.HttpMethod == "GET") response.OutputStream.Write(bytes, (int)from, (int)(bytes.Length - from));
    }

    private static void Error(HttpListenerResponse response, int status, string? code)
    {
        response.StatusCode = status;
        if (code is not null) response.Headers["X-Error-Code"] = code;
        response.ContentLength64 = 0;
    }

    public void Dispose()
    {
        listener.Stop();
        listener.Close();
        loop.Wait(TimeSpan.FromSeconds(5));
    }
}
