using System.Net;
using System.Net.Http.Json;
using System.Text;
using LineBridge.Components.OpenLines;
using LineBridge.Components.Portal;
using LineBridge.Infrastructure;
using LineBridge.Messages;
using LineBridge.Sandbox;
using LineBridge.Storage;
using LiteDB;
using Microsoft.Extensions.DependencyInjection;

namespace LineBridge.Hostile;

/// <summary>
/// One started app with two installed portals (A on 127.0.0.2, B on 127.0.0.3), line 1 connected on each, an API key
/// per portal, one delivered message per portal (chat <c>chat-a</c>/<c>chat-b</c>, message <c>msg-a</c>/<c>msg-b</c>)
/// and a ticket per portal. Shared by the cases of one test class; the cases must not change it (that is what they
/// prove), and <see cref="Snapshot"/> tells whether one did.
/// </summary>
public class TwoPortals : IAsyncLifetime
{
    public const int Line = 1;

    public SandboxedApp App { get; private set; } = null!;
    public PortalSide A { get; private set; } = null!;
    public PortalSide B { get; private set; } = null!;

    /// <summary>App log lines (all levels) from the start, for the secrets checks.</summary>
    public InMemoryLogs Logs { get; } = new();

    protected virtual IDictionary<string, string?> Settings => new Dictionary<string, string?>();

    public async ValueTask InitializeAsync()
    {
        App = await SandboxedApp.StartAsync(portals: 2, settings: Settings,
            configureServices: s => s.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(Logs));
        await App.InstallAsync(App.Sandbox.Portals[1]);
        A = await PrepareAsync(App.Sandbox.Portals[0], "a");
        B = await PrepareAsync(App.Sandbox.Portals[1], "b");
        await SandboxedApp.WaitUntilAsync(
            () => new[] { A, B }.All(p => Store.FindByExternal(p.MemberId, Line, p.ChatId, p.MessageId)?.Status == Components.Messages.MessageStatus.Sent),
            "both portals' first messages are delivered");
    }

    public MessageStore Store => App.Services.GetRequiredService<MessageStore>();

    public HttpClient Http => App.Http;

    private async Task<PortalSide> PrepareAsync(SandboxPortal portal, string suffix)
    {
        var admin = AdminSession(portal.MemberId, portal.Domain);
        await App.Services.GetRequiredService<IOpenLineDirectory>().ConnectAsync(admin, Line);
        var key = await App.Services.GetRequiredService<ApiKeys>().RotateAsync(portal.MemberId);
        var side = new PortalSide(portal, key, $"chat-{suffix}", $"msg-{suffix}", $"user-{suffix}");

        using var send = new HttpRequestMessage(HttpMethod.Post, $"api/v1/lines/{Line}/messages")
        {
            Content = JsonContent.Create(new
            {
                messages = new[]
                {
                    new { user = new { id = side.UserId, name = "Customer " + suffix }, chat = new { id = side.ChatId }, message = new { id = side.MessageId, text = "Hello from " + suffix } },
                },
            }),
        };
        send.Headers.Authorization = new("Bearer", key);
        var sent = await App.Http.SendAsync(send);
        if (sent.StatusCode != HttpStatusCode.Accepted) throw new InvalidOperationException($"Setup send failed: {(int)sent.StatusCode} {await sent.Content.ReadAsStringAsync()}");

        var opened = await App.PostFrameAsync(portal.BuildFramePost(userId: 1));
        if (opened.StatusCode != HttpStatusCode.SeeOther) throw new InvalidOperationException($"Setup placement failed: {(int)opened.StatusCode}");
        var location = opened.Headers.Location!.OriginalString;
        side.Ticket = Uri.UnescapeDataString(location[(location.IndexOf("ticket=", StringComparison.Ordinal) + 7)..]);
        side.RecordId = Store.FindByExternal(portal.MemberId, Line, side.ChatId, side.MessageId)!.Id.ToString();
        return side;
    }

    public static PortalSession AdminSession(string memberId, string domain, bool admin = true) => new()
    {
        MemberId = memberId, PortalDomain = domain, UserId = 1, UserName = "Anna Admin", IsAdmin = admin, Language = "en",
        Placement = "DEFAULT", Ticket = "not-used-here",
    };

    /// <summary>
    /// <see cref="Snapshot"/> once the app is quiet (<see cref="SandboxedApp.WaitUntilQuietAsync"/>): the fixture is
    /// shared, so an event, send or reply an earlier case started may still be settling (an event confirmed or
    /// refuted by the <see cref="Events.EventProcessor"/>, a message delivered). Compare before and after a request
    /// with this, never with <see cref="Snapshot"/> alone: the request's own background work, if it started any,
    /// settles before the second look and shows as a difference.
    /// </summary>
    public async Task<string> SnapshotAsync()
    {
        await App.WaitUntilQuietAsync();
        return Snapshot();
    }

    /// <summary>
    /// Everything a request could change: every LiteDB collection (portals, keys, lines, messages, versions, outbox)
    /// and each sandbox portal's lines, connectors, event bindings and dialogs.
    /// </summary>
    public string Snapshot()
    {
        var text = new StringBuilder();
        var db = App.Services.GetRequiredService<LiteDatabase>();
        foreach (var name in db.GetCollectionNames().Order(StringComparer.Ordinal))
        {
            text.Append("## ").AppendLine(name);
            foreach (var doc in db.GetCollection(name).FindAll().Select(d => LiteDB.JsonSerializer.Serialize(d)).Order(StringComparer.Ordinal))
            {
                text.AppendLine(doc);
            }
        }
        foreach (var portal in App.Sandbox.Portals)
        {
            text.Append("## sandbox ").AppendLine(portal.MemberId);
            text.AppendLine(System.Text.Json.JsonSerializer.Serialize(new
            {
                portal.AppInstalled, portal.ApplicationToken, portal.Connectors, portal.LineStatuses, portal.EventBindings, portal.Placements,
                Dialogs = portal.Dialogs.Select(d => new { d.ChatId, d.ExternalChatId, d.Line, Messages = d.Messages.Select(m => new { m.Id, m.Text, m.ConnectorMid, m.Edited }) }),
            }));
        }
        return text.ToString();
    }

    /// <summary>Every secret the app holds or was given, by name, for the secrets checks.</summary>
    public IReadOnlyDictionary<string, string> Secrets()
    {
        var secrets = new Dictionary<string, string> { ["client secret"] = App.Sandbox.App.ClientSecret };
        foreach (var side in new[] { A, B })
        {
            var portal = App.Store.Find(side.MemberId)!;
            secrets[$"access token {side.Portal.Host}"] = portal.AccessToken!;
            secrets[$"refresh token {side.Portal.Host}"] = portal.RefreshToken!;
            secrets[$"application token {side.Portal.Host}"] = portal.ApplicationToken!;
            secrets[$"API key {side.Portal.Host}"] = side.ApiKey;
        }
        return secrets;
    }

    public async ValueTask DisposeAsync()
    {
        if (App is not null) await App.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}

/// <summary>One installed portal as the tests see it.</summary>
public sealed record PortalSide(SandboxPortal Portal, string ApiKey, string ChatId, string MessageId, string UserId)
{
    /// <summary>The portal's current API key (a test that rotates it stores the new one here).</summary>
    public string ApiKey { get; set; } = ApiKey;
    public string MemberId => Portal.MemberId;
    public string Ticket { get; set; } = "";
    /// <summary>LineBridge's own id of the first message.</summary>
    public string RecordId { get; set; } = "";
}
