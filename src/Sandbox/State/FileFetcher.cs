using System.Net;
using System.Net.Sockets;

namespace LineBridge.Sandbox.State;

/// <summary>
/// Decides whether the portal could download a message's file, as the real portal does before it attaches it
/// (§9.1 step 7: files it cannot fetch are dropped). The sandbox only ever reaches loopback: any other host counts as
/// unreachable, so a test or demo can never make it call out of the machine.
/// </summary>
internal sealed class FileFetcher : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler
    {
        ConnectTimeout = TimeSpan.FromSeconds(5),
        AllowAutoRedirect = false,
        UseProxy = false,
    })
    {
        Timeout = TimeSpan.FromSeconds(10),
    };

    /// <summary>True when a GET of <paramref name="url"/> on a loopback host answers 2xx.</summary>
    public bool CanFetch(Uri url)
    {
        if (!IsLoopback(url)) return false;
        try
        {
            // Called while a REST call holds the sandbox's lock, like a portal worker that downloads before it answers;
            // only the response headers are read.
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            using var response = _http.Send(request, HttpCompletionOption.ResponseHeadersRead);
            return response.IsSuccessStatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or SocketException or IOException)
        {
            return false;
        }
    }

    private static bool IsLoopback(Uri url) =>
        url.IsLoopback || (IPAddress.TryParse(url.DnsSafeHost, out var address) && IPAddress.IsLoopback(address));

    public void Dispose() => _http.Dispose();
}
