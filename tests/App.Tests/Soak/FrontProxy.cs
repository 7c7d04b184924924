using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace LineBridge.Soak;

/// <summary>
/// A plain load balancer in front of several app instances (no stickiness: the API and the portal's events need
/// none): each request goes to the next instance in turn; an instance that refuses the connection (killed, starting)
/// is skipped, which is safe because the request never reached it. Any other failure is answered 502, as a proxy
/// would, and the caller tries again.
/// </summary>
public sealed class FrontProxy : IAsyncDisposable
{
    private static readonly HashSet<string> HopHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "Host", "Content-Length", "Proxy-Connection", "TE", "Trailer",
    };

    private readonly WebApplication _app;
    private readonly HttpClient _upstream = new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromSeconds(5) })
    {
        Timeout = TimeSpan.FromSeconds(60),
    };
    private int _next;

    private FrontProxy(WebApplication app, int port)
    {
        _app = app;
        Uri = new Uri($"http://127.0.0.1:{port}/");
    }

    /// <summary>The proxy's address.</summary>
    public Uri Uri { get; }

    public static async Task<FrontProxy> StartAsync(int port, IReadOnlyList<Uri> instances)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        var proxy = new FrontProxy(app, port);
        app.Run(context => proxy.ForwardAsync(context, instances));
        await app.StartAsync();
        return proxy;
    }

    private async Task ForwardAsync(HttpContext context, IReadOnlyList<Uri> instances)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        var first = Interlocked.Increment(ref _next);
        for (var i = 0; i < instances.Count; i++)
        {
            var target = instances[(int)((uint)(first + i) % instances.Count)];
            using var forward = new HttpRequestMessage(new HttpMethod(context.Request.Method), new Uri(target, context.Request.Path + context.Request.QueryString));
            if (body.Length > 0 || context.Request.ContentLength is not null) forward.Content = new ByteArrayContent(body.ToArray());
            foreach (var (name, values) in context.Request.Headers)
            {
                if (HopHeaders.Contains(name)) continue;
                if (!forward.Headers.TryAddWithoutValidation(name, values.ToArray())) forward.Content?.Headers.TryAddWithoutValidation(name, values.ToArray());
            }
            HttpResponseMessage answer;
            try
            {
                answer = await _upstream.SendAsync(forward, context.RequestAborted);
            }
            catch (HttpRequestException ex) when (ex.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused })
            {
                continue;   // never reached that instance: the next one may take it
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !context.RequestAborted.IsCancellationRequested)
            {
                context.Response.StatusCode = StatusCodes.Status502BadGateway;
                return;
            }
            using (answer)
            {
                context.Response.StatusCode = (int)answer.StatusCode;
                foreach (var (name, values) in answer.Headers.Concat(answer.Content.Headers))
                {
                    if (!HopHeaders.Contains(name)) context.Response.Headers[name] = values.ToArray();
                }
                await answer.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
            }
            return;
        }
        context.Response.StatusCode = StatusCodes.Status502BadGateway;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _upstream.Dispose();
    }
}
