using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using LineBridge.Infrastructure;

namespace LineBridge.Proxy;

/// <summary>
/// docs/nginx/linebridge.conf, run by Debian's nginx in front of two instances: TLS, the partitioned instance cookie
/// that keeps a browser on its instance, and the WebSocket upgrade a Blazor circuit needs.
/// </summary>
public sealed class NginxProxyTests
{
    private const string Cookie = "linebridge_instance";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task NewVisitors_AreSpreadOverTheInstances_AndTheCookieKeepsEachOnItsOwn()
    {
        TestNginx.Require();
        await using var a = await SandboxedApp.StartAsync(install: false, cancellationToken: Ct);
        await using var b = await a.StartPeerAsync(new Dictionary<string, string?>());
        await using var nginx = await TestNginx.StartAsync([a.BaseUri, b.BaseUri], Ct);
        using var http = new HttpClient(TestNginx.Handler()) { BaseAddress = nginx.HttpsUri };

        var firstVisits = new List<string>();
        for (var i = 0; i < 6; i++) firstVisits.Add(await AnsweredByAsync(http, cookie: null));
        Assert.Equal(new[] { a.BaseUri.Authority, b.BaseUri.Authority }.Order(), firstVisits.Distinct().Order());

        foreach (var instance in new[] { a.BaseUri.Authority, b.BaseUri.Authority })
        {
            for (var i = 0; i < 6; i++) Assert.Equal(instance, await AnsweredByAsync(http, cookie: instance));
        }
    }

    [Fact]
    public async Task TheInstanceCookie_IsPartitionedAndSecure_SoItSurvivesInACrossSiteFrame()
    {
        TestNginx.Require();
        await using var a = await SandboxedApp.StartAsync(install: false, cancellationToken: Ct);
        await using var b = await a.StartPeerAsync(new Dictionary<string, string?>());
        await using var nginx = await TestNginx.StartAsync([a.BaseUri, b.BaseUri], Ct);
        using var http = new HttpClient(TestNginx.Handler()) { BaseAddress = nginx.HttpsUri };

        using var response = await http.GetAsync("health/live", Ct);

        var setCookie = Assert.Single(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith(Cookie + "=", StringComparison.Ordinal));
        var attributes = setCookie.Split(';', StringSplitOptions.TrimEntries).Skip(1).ToList();
        Assert.Contains("Secure", attributes);
        Assert.Contains("SameSite=None", attributes);
        Assert.Contains("Partitioned", attributes);
        Assert.Contains("HttpOnly", attributes);
    }

    [Fact]
    public async Task ABlazorCircuitsWebSocket_PassesThrough_ToTheInstanceThatNegotiatedIt()
    {
        TestNginx.Require();
        await using var a = await SandboxedApp.StartAsync(install: false, cancellationToken: Ct);
        await using var b = await a.StartPeerAsync(new Dictionary<string, string?>());
        await using var nginx = await TestNginx.StartAsync([a.BaseUri, b.BaseUri], Ct);
        using var http = new HttpClient(TestNginx.Handler()) { BaseAddress = nginx.HttpsUri };
        var onA = a.BaseUri.Authority;

        var token = await NegotiateAsync(http, onA);
        using var socket = await ConnectAsync(nginx, token, onA);
        Assert.Equal(WebSocketState.Open, socket.State);
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", Ct);

        // Why stickiness matters: the other instance has never heard of a connection A negotiated.
        var again = await NegotiateAsync(http, onA);
        var refused = await Assert.ThrowsAsync<WebSocketException>(() => ConnectAsync(nginx, again, b.BaseUri.Authority));
        Assert.Contains("404", refused.Message);
    }

    private static async Task<string> AnsweredByAsync(HttpClient http, string? cookie)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "health/live");
        if (cookie is not null) request.Headers.Add("Cookie", $"{Cookie}={cookie}");
        using var response = await http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var setCookie = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(Cookie + "=", StringComparison.Ordinal));
        return setCookie[(Cookie.Length + 1)..setCookie.IndexOf(';')];
    }

    private static async Task<string> NegotiateAsync(HttpClient http, string instance)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "_blazor/negotiate?negotiateVersion=1") { Content = new StringContent("") };
        request.Headers.Add("Cookie", $"{Cookie}={instance}");
        using var response = await http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        return json.RootElement.GetProperty("connectionToken").GetString()!;
    }

    private static async Task<ClientWebSocket> ConnectAsync(TestNginx nginx, string token, string instance)
    {
        var socket = new ClientWebSocket();
        socket.Options.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        socket.Options.SetRequestHeader("Cookie", $"{Cookie}={instance}");
        try
        {
            await socket.ConnectAsync(new Uri($"wss://{nginx.HttpsUri.Authority}/_blazor?id={Uri.EscapeDataString(token)}"), Ct);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
