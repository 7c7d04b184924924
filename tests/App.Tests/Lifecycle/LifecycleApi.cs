using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using LineBridge.Infrastructure;
using LineBridge.Messages;
using LineBridge.Sandbox;
using Microsoft.Extensions.DependencyInjection;

namespace LineBridge.Lifecycle;

/// <summary>
/// The app beside the sandbox portal with one line connected and an API key: the external system's view of a portal
/// whose life goes on (uninstalls, lines switched off, payment due, renames).
/// </summary>
internal sealed class LifecycleApi : IAsyncDisposable
{
    public required SandboxedApp App { get; init; }
    public required HttpClient Http { get; init; }
    public required int Line { get; init; }
    public SandboxPortal Portal => App.Portal;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task<LifecycleApi> StartAsync(Action<SandboxOptions>? sandbox = null, IDictionary<string, string?>? settings = null)
    {
        var all = new Dictionary<string, string?> { ["Messages:RetryDelay"] = "00:00:00.200", ["Messages:MaxRetryDelay"] = "00:00:01", ["Messages:PollInterval"] = "00:00:00.200" };
        foreach (var (name, value) in settings ?? new Dictionary<string, string?>()) all[name] = value;
        var app = await SandboxedApp.StartAsync(configureSandbox: sandbox, settings: all, cancellationToken: Ct);
        var line = app.Portal.OpenLines[0].Id;
        await app.Clients.ForPortal(app.Portal.MemberId).Connectors.ActivateAsync("linebridge", line, true, Ct);
        app.Services.GetRequiredService<LineConnections>().MarkConnected(app.Portal.MemberId, line);
        var key = await app.Services.GetRequiredService<ApiKeys>().RotateAsync(app.Portal.MemberId);
        var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = app.BaseUri, Timeout = TimeSpan.FromSeconds(100) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return new LifecycleApi { App = app, Http = http, Line = line };
    }

    public Task<HttpResponseMessage> SendAsync(string chat, string id, string text, string userName = "Ann") =>
        Http.PostAsJsonAsync($"api/v1/lines/{Line}/messages", new
        {
            messages = new[]
            {
                new { user = new { id = "user-" + chat, name = userName }, chat = new { id = chat, name = "Chat " + chat }, message = new { id, text } },
            },
        }, Ct);

    /// <summary>Connects the line as the open-lines service does: <c>imconnector.activate</c>, then our own record.</summary>
    public async Task ConnectLineAsync()
    {
        await App.Clients.ForPortal(Portal.MemberId).Connectors.ActivateAsync("linebridge", Line, true, Ct);
        App.Services.GetRequiredService<LineConnections>().MarkConnected(Portal.MemberId, Line);
    }

    public string MessageUrl(string chat, string id) => $"api/v1/lines/{Line}/chats/{chat}/messages/{id}";

    public Task<HttpResponseMessage> EditAsync(string chat, string id, string text) =>
        Http.PatchAsJsonAsync(MessageUrl(chat, id), new { text }, Ct);

    public async Task<JsonObject> GetAsync(string chat, string id) => (await Http.GetFromJsonAsync<JsonObject>(MessageUrl(chat, id), Ct))!;

    /// <summary>Waits until the message reaches <paramref name="status"/> (checked over the API, as a caller would).</summary>
    public async Task<JsonObject> WaitForStatusAsync(string chat, string id, string status)
    {
        JsonObject? message = null;
        await SandboxedApp.WaitUntilAsync(async () => (string?)(message = await GetAsync(chat, id))["status"] == status,
            $"{chat}/{id} is {status}", seen: () => $"{message?["status"]} ({message?["failureReason"]})");
        return message!;
    }

    /// <summary>The texts of the portal's copies of an external message id, in the line's dialogs.</summary>
    public IReadOnlyList<string> PortalCopies(string id) =>
        Portal.Dialogs.Where(d => d.Line == Line).SelectMany(d => d.Messages).Where(m => m.ConnectorMid.Contains(id)).Select(m => m.Text).ToList();

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.DisposeAsync();
    }
}
