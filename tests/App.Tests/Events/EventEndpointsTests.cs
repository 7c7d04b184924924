using System.Collections.Concurrent;
using System.Net;
using LineBridge.Infrastructure;
using LineBridge.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace LineBridge.Events;

/// <summary>The events endpoint and the processor behind it, on both storage providers.</summary>
public abstract class EventEndpointsTests(StorageProvider provider)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed class RecordingEventHandler : IPortalEventHandler
    {
        public ConcurrentQueue<PortalEvent> Events { get; } = new();
        public bool Handles(string eventName) => true;
        public Task HandleAsync(PortalEvent portalEvent, CancellationToken cancellationToken = default)
        {
            Events.Enqueue(portalEvent);
            return Task.CompletedTask;
        }
    }

    private static Task<SandboxedApp> StartAsync(RecordingEventHandler handler, AppStorage storage) =>
        SandboxedApp.StartAsync(settings: storage.Settings, configureServices: s => s.AddSingleton<IPortalEventHandler>(handler), cancellationToken: Ct);

    private static Dictionary<string, string> Event(SandboxedApp app, string name, string? token, string? memberId = null)
    {
        var fields = new Dictionary<string, string>
        {
            ["event"] = name, ["data[CLEAN]"] = "1", ["ts"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["auth[domain]"] = app.Portal.Domain, ["auth[member_id]"] = memberId ?? app.Portal.MemberId,
        };
        if (token is not null) fields["auth[application_token]"] = token;
        return fields;
    }

    [Fact]
    public async Task PortalEvents_ReachHandlers_WithoutAuthFields()
    {
        var handler = new RecordingEventHandler();
        await using var storage = await AppStorage.OpenAsync(provider);
        await using var app = await StartAsync(handler, storage);

        Assert.True(app.Portal.DeleteLine(2));

        await SandboxedApp.WaitUntilAsync(() => handler.Events.Any(e => e.Name == PortalEventNames.LineDelete), "ONIMCONNECTORLINEDELETE arrives");
        var lineDelete = handler.Events.First(e => e.Name == PortalEventNames.LineDelete);
        Assert.Equal(app.Portal.MemberId, lineDelete.MemberId);
        Assert.Equal("2", lineDelete.Data());
        Assert.DoesNotContain(lineDelete.Fields.Keys, k => k.StartsWith("auth", StringComparison.OrdinalIgnoreCase));
        Assert.All(app.Portal.EventDeliveries.Where(d => d.Done), d => Assert.Equal(200, d.Status));
    }

    [Fact]
    public async Task AppUninstall_WipesTokens_AndMarksThePortalUninstalled()
    {
        var handler = new RecordingEventHandler();
        await using var storage = await AppStorage.OpenAsync(provider);
        await using var app = await StartAsync(handler, storage);

        app.Portal.UninstallApp();

        await SandboxedApp.WaitUntilAsync(() => app.Store.Find(app.Portal.MemberId)!.Status == PortalStatus.Uninstalled, "the portal is marked uninstalled");
        var portal = app.Store.Find(app.Portal.MemberId)!;
        Assert.Null(portal.AccessToken);
        Assert.Null(portal.RefreshToken);
        Assert.Null(portal.ApplicationToken);
        Assert.Contains(handler.Events, e => e.Name == PortalEventNames.AppUninstall);
    }

    public static TheoryData<string?, bool, string> ForgedEvents => new()
    {
        { "forged-application-token", false, "does not match" },
        { null, false, "auth[application_token]" },
        { "any", true, "not installed" },
    };

    [Theory]
    [MemberData(nameof(ForgedEvents))]
    public async Task ForgedUninstall_IsRefusedWith401_AndChangesNothing(string? token, bool unknownMember, string message)
    {
        var handler = new RecordingEventHandler();
        await using var storage = await AppStorage.OpenAsync(provider);
        await using var app = await StartAsync(handler, storage);
        var before = app.Store.Find(app.Portal.MemberId)!;

        var response = await app.Http.PostAsync("events", new FormUrlEncodedContent(
            Event(app, "ONAPPUNINSTALL", token, unknownMember ? "0123456789abcdef0123456789abcdef" : null)), Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains(message, await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal(before, app.Store.Find(app.Portal.MemberId));
        Assert.Empty(handler.Events);
    }

    [Fact]
    public async Task EventPostedByHand_WithTheRightToken_IsAccepted_ButAppliedOnlyIfThePortalConfirmsIt()
    {
        var handler = new RecordingEventHandler();
        await using var storage = await AppStorage.OpenAsync(provider);
        await using var app = await StartAsync(handler, storage);
        var fields = Event(app, "onImConnectorLineDelete", app.Portal.ApplicationToken);
        fields["data"] = "2";

        var response = await app.Http.PostAsync("events", new FormUrlEncodedContent(fields), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var inbox = app.Services.GetRequiredService<EventInbox>();
        await SandboxedApp.WaitUntilAsync(() => inbox.ForPortal(app.Portal.MemberId).Any(e => e.State == InboxState.Dropped), "the event is checked with the portal");
        Assert.Contains("still exists", inbox.ForPortal(app.Portal.MemberId).Single().Outcome);
        Assert.Empty(handler.Events);
    }

    [Fact]
    public async Task EventWithoutName_IsRefused()
    {
        var handler = new RecordingEventHandler();
        await using var storage = await AppStorage.OpenAsync(provider);
        await using var app = await StartAsync(handler, storage);
        var fields = Event(app, "x", app.Portal.ApplicationToken);
        fields.Remove("event");

        var response = await app.Http.PostAsync("events", new FormUrlEncodedContent(fields), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty(handler.Events);
    }
}

public sealed class EventEndpointsTestsOnLiteDb() : EventEndpointsTests(StorageProvider.LiteDb);

public sealed class EventEndpointsTestsOnPostgreSql() : EventEndpointsTests(StorageProvider.PostgreSql);
