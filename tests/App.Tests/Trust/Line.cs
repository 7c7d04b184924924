using System.Net;
using System.Net.Sockets;
using LineBridge.Bitrix24.Models;
using LineBridge.Components.Portal;
using LineBridge.Components.Replies;
using LineBridge.Infrastructure;
using LineBridge.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace LineBridge.Trust;

/// <summary>Shared steps of the trust-boundary cases: a connected line with a customer chat and a webhook.</summary>
internal static class Line
{
    public const string Connector = "linebridge";
    public const int Id = 1;
    public const string Chat = "chat-1";
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    public static readonly Dictionary<string, string?> FastRetries = new()
    {
        ["Replies:InitialBackoff"] = "00:00:00.2",
        ["Replies:MaxBackoff"] = "00:00:01",
        ["Replies:PollInterval"] = "00:00:00.2",
        ["Events:PollInterval"] = "00:00:00.1",
    };

    /// <summary>Connects the line, opens a customer chat on it and sets the line's webhook; returns the webhook secret.</summary>
    public static Task<string?> ConnectAsync(SandboxedApp app, Uri? webhook, CancellationToken ct) => ConnectAsync(app, app.Portal, webhook, ct);

    /// <summary>As above, on any of the sandbox's portals.</summary>
    public static async Task<string?> ConnectAsync(SandboxedApp app, LineBridge.Sandbox.SandboxPortal portal, Uri? webhook, CancellationToken ct)
    {
        var connectors = app.Clients.ForPortal(portal.MemberId).Connectors;
        await connectors.ActivateAsync(Connector, Id, active: true, ct);
        await connectors.SetConnectorDataAsync(Connector, Id, new ConnectorData { Id = "linebridge", Name = "LineBridge" }, ct);
        await connectors.SendMessagesAsync(new ConnectorMessagesRequest(Connector, Id,
            [new ConnectorMessage(new ConnectorUser { Id = "customer-1", Name = "Carl" }, new ConnectorMessageBody { Id = "m1", Text = "Hi" }, new ConnectorChat { Id = Chat })]), ct);
        app.Services.GetRequiredService<MessageStore>().ImportDelivered(
            [new NewMessage(portal.MemberId, Connector, Id,
                new ConnectorMessage(new ConnectorUser { Id = "customer-1" }, new ConnectorMessageBody { Id = "m1", Text = "Hi" }, new ConnectorChat { Id = Chat }))],
            DateTime.UtcNow.AddMinutes(-1));
        if (webhook is null) return null;
        var change = await app.Services.GetRequiredService<ILineWebhooks>().SetUrlAsync(Admin(portal), Id, webhook.AbsoluteUri, ct);
        return change.NewSecret;
    }

    public static PortalSession Admin(SandboxedApp app) => Admin(app.Portal);

    public static PortalSession Admin(LineBridge.Sandbox.SandboxPortal portal) => new()
    {
        MemberId = portal.MemberId, PortalDomain = portal.Domain, UserId = 1, UserName = "Anna Admin", IsAdmin = true,
        Language = "en", Placement = "DEFAULT", Ticket = "test",
    };

    public static MessageRecord? Reply(SandboxedApp app, int imId) => Reply(app, app.Portal, imId);

    public static MessageRecord? Reply(SandboxedApp app, LineBridge.Sandbox.SandboxPortal portal, int imId) =>
        app.Services.GetRequiredService<MessageStore>().FindReply(portal.MemberId, Id, Chat, imId.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>The Bitrix24 chat id of the customer's dialog on the line.</summary>
    public static int ImChatId(SandboxedApp app) => app.Portal.Dialogs.First(d => d.Line == Id && d.ExternalChatId == Chat).ChatId;
}

/// <summary>A loopback port with a listener that counts the connections made to it (a host that answers).</summary>
internal sealed class CountingListener : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private int _connections;

    public CountingListener()
    {
        _listener.Start();
        _ = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    Interlocked.Increment(ref _connections);
                }
                catch (Exception) when (_stop.IsCancellationRequested) { return; }
                catch (SocketException) { return; }
            }
        });
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;
    public int Connections => Volatile.Read(ref _connections) + (_listener.Pending() ? 1 : 0);

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _listener.Dispose();
        _stop.Dispose();
    }
}

/// <summary>A webhook that never answers: accepts connections and holds them open until disposed.</summary>
internal sealed class HangingListener : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly System.Collections.Concurrent.ConcurrentBag<TcpClient> _held = [];

    public HangingListener()
    {
        _listener.Start();
        _ = Task.Run(async () =>
        {
            try
            {
                while (true) _held.Add(await _listener.AcceptTcpClientAsync(_stop.Token));
            }
            catch (Exception) when (_stop.IsCancellationRequested) { }
            catch (SocketException) { }
        });
    }

    public Uri Url => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/hook");
    public int Held => _held.Count;

    public void Dispose()
    {
        _stop.Cancel();
        foreach (var client in _held) client.Dispose();
        _listener.Stop();
        _listener.Dispose();
        _stop.Dispose();
    }
}
