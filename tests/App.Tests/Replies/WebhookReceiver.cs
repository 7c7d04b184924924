using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace LineBridge.Replies;

/// <summary>A webhook call as the receiver got it: headers and the raw body.</summary>
public sealed record ReceivedWebhook(string? EventType, string? Signature, string? Timestamp, string? Delivery, byte[] Body)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement;
}

/// <summary>
/// The external system's end of the webhook: a tiny Kestrel app on 127.0.0.1 that records every call and answers
/// 200 with <c>{"id":"ext-N"}</c> unless a test says otherwise. <see cref="ReservePort"/> gives an address where
/// nothing listens yet (a webhook that is down), <see cref="StartAsync"/> with that port brings it up.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _count;

    private WebhookReceiver(WebApplication app, int port)
    {
        _app = app;
        Url = new Uri($"http://127.0.0.1:{port}/hook");
    }

    public Uri Url { get; }
    public ConcurrentQueue<ReceivedWebhook> Received { get; } = new();

    /// <summary>The answer to a call (status, body); by default 200 with a fresh external id.</summary>
    public Func<ReceivedWebhook, int, (int Status, string Body)> Respond { get; set; } =
        (_, n) => (200, $$"""{"id":"ext-{{n}}"}""");

    public static int ReservePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static async Task<WebhookReceiver> StartAsync(int? port = null)
    {
        var p = port ?? ReservePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, p));
        var app = builder.Build();
        var receiver = new WebhookReceiver(app, p);
        app.MapPost("/hook", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            var h = context.Request.Headers;
            var call = new ReceivedWebhook(h[WebhookSignature.EventHeader], h[WebhookSignature.SignatureHeader],
                h[WebhookSignature.TimestampHeader], h[WebhookSignature.DeliveryHeader], body.ToArray());
            receiver.Received.Enqueue(call);
            var (status, answer) = receiver.Respond(call, Interlocked.Increment(ref receiver._count));
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(answer);
        });
        await app.StartAsync();
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
