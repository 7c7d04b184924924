using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace LineBridge.Soak;

/// <summary>A refresh the token server answered: when it was asked, whether it was granted, and for which portal.</summary>
public sealed record RefreshSeen(DateTime At, bool Granted, string? MemberId);

/// <summary>
/// A pass-through in front of the sandbox's token server (<c>/oauth/token/</c>) that records every refresh, so a test
/// with app instances in other processes can count them. The apps' <c>Bitrix24:OAuthServer</c> points here.
/// </summary>
public sealed class TokenServerTap : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _upstream = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(60) };

    private TokenServerTap(WebApplication app, Uri uri)
    {
        _app = app;
        Uri = uri;
    }

    /// <summary>The tap's address, e.g. <c>http://127.0.0.1:40123/</c>.</summary>
    public Uri Uri { get; }

    /// <summary>Every refresh asked for (<c>grant_type=refresh_token</c>), in order of arrival.</summary>
    public ConcurrentQueue<RefreshSeen> Refreshes { get; } = new();

    public static async Task<TokenServerTap> StartAsync(Uri tokenServer)
    {
        var port = AppProcess.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        var tap = new TokenServerTap(app, new Uri($"http://127.0.0.1:{port}/"));
        app.MapMethods("/oauth/token/", ["GET", "POST"], async (HttpContext context) =>
        {
            var at = DateTime.UtcNow;
            using var forward = new HttpRequestMessage(new HttpMethod(context.Request.Method), new Uri(tokenServer, "oauth/token/" + context.Request.QueryString));
            string? grant = context.Request.Query["grant_type"];
            if (context.Request.HasFormContentType)
            {
                var form = await context.Request.ReadFormAsync();
                grant ??= form["grant_type"];
                forward.Content = new FormUrlEncodedContent(form.Select(f => new KeyValuePair<string, string>(f.Key, f.Value.ToString())));
            }
            using var answer = await tap._upstream.SendAsync(forward);
            var body = await answer.Content.ReadAsStringAsync();
            if (grant == "refresh_token")
            {
                var memberId = answer.IsSuccessStatusCode ? (string?)JsonNode.Parse(body)?["member_id"] : null;
                tap.Refreshes.Enqueue(new RefreshSeen(at, answer.IsSuccessStatusCode, memberId));
            }
            context.Response.StatusCode = (int)answer.StatusCode;
            context.Response.ContentType = answer.Content.Headers.ContentType?.ToString() ?? "application/json";
            await context.Response.WriteAsync(body);
        });
        await app.StartAsync();
        return tap;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _upstream.Dispose();
    }
}
