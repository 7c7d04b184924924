using System.Globalization;
using System.Net;

namespace LineBridge.Sandbox;

/// <summary>
/// Reads ASP.NET Core's <c>urls</c> setting (<c>--urls</c> or <c>ASPNETCORE_URLS</c>, separated by <c>;</c>) into
/// portals for the standalone sandbox: each <c>http://</c> URL is a portal (each listener is its own portal's origin),
/// an <c>https://</c> URL adds an HTTPS listener to the portal on the same host (else to the first). The sandbox
/// listens on loopback only, so a host must be <c>localhost</c> or a 127.x.y.z address.
/// </summary>
public static class SandboxUrls
{
    /// <summary>The portals the URLs describe, or an empty list for an empty setting.</summary>
    /// <exception cref="ArgumentException">A URL is not absolute http(s), names a non-loopback host, or has no port.</exception>
    public static List<SandboxPortalOptions> Parse(string? urls)
    {
        var portals = new List<SandboxPortalOptions>();
        var https = new List<(string Host, int Port)>();
        foreach (var text in (urls ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
                throw new ArgumentException($"'{text}' is not an http:// or https:// URL.", nameof(urls));
            var host = url.Host;
            var loopback = string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
                || (IPAddress.TryParse(host, out var address) && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && IPAddress.IsLoopback(address));
            if (!loopback)
                throw new ArgumentException($"'{text}': the sandbox listens on loopback only; use localhost or a 127.x.y.z address (not '{host}').", nameof(urls));
            if (url.IsDefaultPort && !text.Contains($":{url.Port.ToString(CultureInfo.InvariantCulture)}", StringComparison.Ordinal))
                throw new ArgumentException($"'{text}': give a port (0 picks a free one).", nameof(urls));
            if (url.Scheme == "http") portals.Add(new SandboxPortalOptions { Host = host, Port = url.Port });
            else https.Add((host, url.Port));
        }
        foreach (var (host, port) in https)
        {
            var portal = portals.FirstOrDefault(p => string.Equals(p.Host, host, StringComparison.OrdinalIgnoreCase) && p.HttpsPort is null)
                ?? portals.FirstOrDefault(p => p.HttpsPort is null);
            if (portal is null)
            {
                portal = new SandboxPortalOptions { Host = host, Port = 0 };
                portals.Add(portal);
            }
            portal.HttpsPort = port;
        }
        return portals;
    }
}
