using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Xunit;

namespace LineBridge.Sandbox;

/// <summary>A sandbox on a free loopback port plus a client speaking its REST surface, one per test.</summary>
internal sealed class SandboxTestHost : IAsyncDisposable
{
    private SandboxTestHost(SandboxHost host)
    {
        Host = host;
        Http = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(60) };
    }

    public SandboxHost Host { get; }
    public HttpClient Http { get; }
    public SandboxPortal Portal => Host.Portals[0];

    public static async Task<SandboxTestHost> StartAsync(Action<SandboxOptions>? configure = null, int portals = 1)
    {
        var options = new SandboxOptions
        {
            Portals = [.. Enumerable.Range(0, portals).Select(i => new SandboxPortalOptions { Host = $"127.0.0.{i + 2}" })],
            HandlerUrl = "http://127.0.0.1:9/placement",
            InstallUrl = "http://127.0.0.1:9/install",
        };
        configure?.Invoke(options);
        return new SandboxTestHost(await SandboxHost.StartAsync(options, TestContext.Current.CancellationToken));
    }

    /// <summary>An access token of the seeded app for a user, as a frame POST would carry it.</summary>
    public string Token(int userId = 1, SandboxPortal? portal = null) => (portal ?? Portal).BuildFramePost(userId).Form["AUTH_ID"];

    public FramePost Frame(int userId = 1) => Portal.BuildFramePost(userId);

    public async Task<(HttpStatusCode Status, JsonObject Body)> CallAsync(string method, object? parameters = null, string? token = null, SandboxPortal? portal = null)
    {
        var body = parameters is null ? new JsonObject() : parameters as JsonObject ?? (JsonObject)JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(parameters))!;
        body["auth"] = token ?? Token(portal: portal);
        var response = await Http.PostAsync(new Uri((portal ?? Portal).RestUri, method), new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"), Ct);
        return (response.StatusCode, await ReadAsync(response));
    }

    public async Task<(HttpStatusCode Status, JsonObject Body)> PostFormAsync(Uri url, string form)
    {
        var response = await Http.PostAsync(url, new StringContent(form, Encoding.UTF8, "application/x-www-form-urlencoded"), Ct);
        return (response.StatusCode, await ReadAsync(response));
    }

    public async Task<(HttpStatusCode Status, JsonObject Body)> GetAsync(Uri url)
    {
        var response = await Http.GetAsync(url, Ct);
        return (response.StatusCode, await ReadAsync(response));
    }

    public static async Task<JsonObject> ReadAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync(Ct);
        return JsonNode.Parse(text) as JsonObject ?? throw new InvalidOperationException($"Not a JSON object: {text}");
    }

    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Registers a connector, activates it on a line and finishes the install so events flow.</summary>
    public async Task<string> ConnectAsync(string connector = "lb_test", int line = 1, bool install = true)
    {
        var (status, body) = await CallAsync("imconnector.register", Connector(connector));
        if (status != HttpStatusCode.OK || body["result"]?["result"]?.GetValue<bool>() != true) throw new InvalidOperationException(body.ToJsonString());
        (status, body) = await CallAsync("imconnector.activate", new { CONNECTOR = connector, LINE = line, ACTIVE = 1 });
        if (status != HttpStatusCode.OK) throw new InvalidOperationException(body.ToJsonString());
        if (install) Portal.FinishInstall();
        return connector;
    }

    public static JsonObject Connector(string id = "lb_test", string handler = "http://127.0.0.1:9/placement") => new()
    {
        ["ID"] = id,
        ["NAME"] = "LineBridge test",
        ["ICON"] = new JsonObject { ["DATA_IMAGE"] = "data:image/svg+xml,%3Csvg%3E%3C/svg%3E", ["COLOR"] = "#69acc0" },
        ["PLACEMENT_HANDLER"] = handler,
    };

    public static JsonObject Messages(string connector, int line, params (string User, string Chat, string Id, string Text)[] messages) => new()
    {
        ["CONNECTOR"] = connector,
        ["LINE"] = line,
        ["MESSAGES"] = new JsonArray([.. messages.Select(m => (JsonNode)new JsonObject
        {
            ["user"] = new JsonObject { ["id"] = m.User, ["name"] = "Jane" },
            ["message"] = new JsonObject { ["id"] = m.Id, ["text"] = m.Text },
            ["chat"] = new JsonObject { ["id"] = m.Chat },
        })]),
    };

    /// <summary>Polls until the condition holds (the event queue is asynchronous).</summary>
    public static async Task WaitForAsync(Func<bool> condition, string what, int seconds = 90)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Timed out waiting for {what}.");
            await Task.Delay(25, Ct);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Host.DisposeAsync();
    }
}
